import type { Socket } from 'socket.io-client';
import { MailboxScanRequest, MailboxScanRequestSchema, describeProblems, oversizePayload, parsePayload, type MailboxStats } from '@qfleet/protocol';
import type { Answer } from '../requests';

/**
 * `mailbox.scan` from the controller: a scan now, answered like every other request
 * (`{ok, result}`), with every mailbox when `full` is asked.
 */
export function registerMailboxScanRequest(socket: Pick<Socket, 'on'>, scan: (full: boolean) => Promise<MailboxStats>, log: (line: string) => void): void {
  socket.on(MailboxScanRequest, (payload: unknown, ack?: (a: Answer<MailboxStats>) => void) => {
    if (typeof ack !== 'function') return;
    const parsed = parsePayload(MailboxScanRequestSchema, payload ?? {});
    if (!parsed.ok) return ack({ ok: false, error: { code: 'invalid', message: describeProblems(parsed.problems) } });
    scan(parsed.value.full).then(
      (result) => {
        const oversize = oversizePayload(`${MailboxScanRequest} answer`, [{ ok: true, result }]);
        ack(oversize ? { ok: false, error: { code: 'failed', message: oversize } } : { ok: true, result });
      },
      (e: Error) => {
        log(`${MailboxScanRequest} failed: ${e.message}`);
        ack({ ok: false, error: { code: 'failed', message: e.message } });
      },
    );
  });
}
