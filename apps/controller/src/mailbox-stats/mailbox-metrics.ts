import { Gauge, type Registry } from 'prom-client';
import type { MailboxStats } from '@qfleet/protocol';

const GAUGES: { name: string; help: string; pick: (s: MailboxStats) => number }[] = [
  { name: 'qfleet_mailboxes', help: 'mailboxes on the host, from its latest mailbox statistics', pick: (s) => s.mailboxes },
  { name: 'qfleet_mailbox_messages', help: 'messages in all mailboxes of the host', pick: (s) => s.messages },
  { name: 'qfleet_mailbox_bytes', help: 'bytes in all mailboxes of the host (file sizes, not disk blocks)', pick: (s) => s.bytes },
  { name: 'qfleet_mailbox_unread', help: 'unread messages (Maildir new/, mbox without Status: R)', pick: (s) => s.unread },
  { name: 'qfleet_mailbox_scan_seconds', help: "how long the agent's last mailbox scan took", pick: (s) => s.scanMs / 1000 },
];

/** Per-host mailbox totals on the Prometheus page; no per-user series (a host may have 10,000 users). */
export class MailboxMetrics {
  private readonly gauges: { gauge: Gauge; pick: (s: MailboxStats) => number }[];

  constructor(registry: Registry) {
    this.gauges = GAUGES.map((g) => ({ pick: g.pick, gauge: new Gauge({ name: g.name, help: g.help, labelNames: ['host'], registers: [registry] }) }));
  }

  update(hosts: { name: string; stats: MailboxStats | undefined }[]): void {
    for (const g of this.gauges) g.gauge.reset();
    for (const h of hosts) {
      if (!h.stats) continue;
      for (const g of this.gauges) g.gauge.set({ host: h.name }, g.pick(h.stats));
    }
  }
}
