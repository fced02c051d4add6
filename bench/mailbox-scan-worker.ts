/**
 * The agent's mailbox scanner in a process of its own, as in the agent: bench/mailbox-scan.ts
 * sends it the mailboxes once, then asks for scans; each answer carries the scan's wall time,
 * its CPU time (process.cpuUsage) and the longest event-loop stall while it ran.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MailboxScanTarget } from '@qfleet/protocol';
import { MailboxStatsScanner } from '../apps/agent/src/mailbox-stats/scanner';
import { summarize } from '../apps/agent/src/mailbox-stats/reporter';

const scanner = new MailboxStatsScanner();
let locations: MailboxScanTarget[] = [];

process.on('message', async (msg: { locations?: MailboxScanTarget[]; scan?: true }) => {
  if (msg.locations) {
    locations = msg.locations;
    process.send!({ ready: true });
    return;
  }
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await scanner.scan(locations);
  const stats = summarize(result, new Date(), false);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lag.disable();
  process.send!({
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    lagMaxMs: lag.max / 1e6,
    counters: result.counters,
    mailboxes: stats.mailboxes,
    messages: stats.messages,
    bytes: stats.bytes,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  });
});
