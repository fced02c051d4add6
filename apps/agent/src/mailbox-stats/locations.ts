import type { MailboxLocation } from '@qfleet/protocol';
import type { AgentSettings } from '../cli/settings';
import type { RequestContext } from '../requests';
import { mailboxOwners, mailboxPath } from '../requests/mailbox';

/**
 * Which mailboxes to scan. The one place that asks the mailbox listing: today the owners of
 * apps/agent/src/requests/mailbox.ts with the host's one format; when discoverMailboxes
 * (issue 8, each user's own format) lands, this becomes `discoverMailboxes(settings)`.
 */
export async function mailboxLocations(settings: Pick<AgentSettings, 'qmailHome' | 'mailbox'>): Promise<MailboxLocation[]> {
  const ctx = { qmailHome: settings.qmailHome, mailbox: settings.mailbox } as RequestContext;
  const owners = await mailboxOwners(ctx);
  return owners.filter((o) => !o.refused).map((o) => ({ user: o.user, path: mailboxPath(ctx, o.home), format: settings.mailbox.format }));
}
