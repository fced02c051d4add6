import { run } from './exec-file';
import type { ServiceBackend } from './service-backend';

/**
 * qmail-send under daemontools, as LWQ sets it up (QMAIL.md §5): `svc -h` is qmailctl's
 * reload, `svc -t` makes supervise restart it, `svstat` says whether it is up.
 * serviceDir is the qmail-send service directory, e.g. /service/qmail-send.
 */
export function daemontoolsBackend(serviceDir: string, bin = { svc: 'svc', svstat: 'svstat' }): ServiceBackend {
  return {
    name: `daemontools ${serviceDir}`,
    async isRunning() {
      // svstat exits 0 even when it cannot tell; the verdict is in the text (QMAIL.md §5).
      const { stdout } = await run(bin.svstat, [serviceDir], { timeoutMs: 10_000 });
      const status = stdout.trim().slice(serviceDir.length + 2);
      if (status.startsWith('up ')) return true;
      if (status.startsWith('down ') || status.startsWith('supervise not running')) return false;
      return null;
    },
    async signal(kind) {
      // svc only warns and still exits 0 when supervise is not reading its control FIFO.
      const { stderr } = await run(bin.svc, [kind === 'hup' ? '-h' : '-t', serviceDir], { timeoutMs: 10_000 });
      if (stderr.trim()) throw new Error(stderr.trim());
    },
  };
}
