import type { MailboxScanTarget } from '@qfleet/protocol';
import type { AgentSettings } from '../cli/settings';
import { discoverMailboxes } from '../mailboxes/discover';

/**
 * Which mailboxes to scan: every mailbox the host's mailbox view lists (users/assign and passwd
 * homes, ~alias deliveries), each in its own format, named by the same id the view takes so a
 * figure links to its mailbox.
 */
export async function mailboxLocations(settings: Pick<AgentSettings, 'qmailHome' | 'mailbox'>): Promise<MailboxScanTarget[]> {
  const found = await discoverMailboxes({ qmailHome: settings.qmailHome, mailbox: settings.mailbox });
  return found.map((m) => ({ user: m.id, path: m.path, format: m.format }));
}
