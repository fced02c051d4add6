import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, messages } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { DriverAdapterError, type SqlDriverAdapter, type Transaction } from '@prisma/driver-adapter-utils';
import type { PGliteReady, PGliteReply, PGliteRequest, PGliteWorkerData, SentError } from './pglite-thread-protocol';

/**
 * The embedded database's own thread: PGlite's WebAssembly runs here, so a long statement
 * never holds the controller's event loop (issue 11). It serves Prisma's driver-adapter calls
 * sent by pglite-thread.ts. Requests are handled as they arrive, not one after another: PGlite
 * itself queues every statement behind an open transaction, and that transaction's own
 * statements must get through meanwhile.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker runs in a worker thread');
  const { dataDir } = workerData as PGliteWorkerData;
  let pglite: PGlite;
  let adapter: SqlDriverAdapter;
  try {
    pglite = new PGlite(dataDir);
    await pglite.waitReady;
    adapter = await new PrismaPGlite(pglite).connect();
  } catch (e) {
    port.postMessage({ ready: false, error: toSent(e) } satisfies PGliteReady);
    return;
  }
  const transactions = new Map<number, Transaction>();
  let nextTx = 1;

  const handle = async (req: PGliteRequest): Promise<unknown> => {
    switch (req.op) {
      case 'queryRaw':
        return (req.tx === undefined ? adapter : openTx(req.tx)).queryRaw(req.query);
      case 'executeRaw':
        return (req.tx === undefined ? adapter : openTx(req.tx)).executeRaw(req.query);
      case 'executeScript':
        // Not through the adapter: its executeScript does not wait for PGlite's exec, so a
        // failing script would reject nowhere (and end this thread) instead of answering.
        try {
          await pglite.exec(req.script);
        } catch (e) {
          throw e instanceof messages.DatabaseError ? scriptError(e) : e;
        }
        return undefined;
      case 'startTransaction': {
        const tx = await adapter.startTransaction(req.isolationLevel);
        const id = nextTx++;
        transactions.set(id, tx);
        return { tx: id, options: tx.options };
      }
      case 'commit':
      case 'rollback': {
        const tx = openTx(req.tx);
        transactions.delete(req.tx);
        return req.op === 'commit' ? tx.commit() : tx.rollback();
      }
      case 'close':
        await pglite.close();
        return undefined;
    }
  };
  const openTx = (id: number): Transaction => {
    const tx = transactions.get(id);
    if (!tx) throw new Error(`transaction ${id} is not open`);
    return tx;
  };

  port.on('message', (req: PGliteRequest) => {
    handle(req).then(
      (value) => {
        port.postMessage({ id: req.id, ok: true, value } satisfies PGliteReply);
        // Closed: let the thread end, so the controller sees it exit.
        if (req.op === 'close') port.close();
      },
      (e) => port.postMessage({ id: req.id, ok: false, error: toSent(e) } satisfies PGliteReply),
    );
  });
  port.postMessage({ ready: true } satisfies PGliteReady);
}

/** The shape the adapter gives statements whose code it has no special kind for. */
function scriptError(e: InstanceType<typeof messages.DatabaseError>): DriverAdapterError {
  return new DriverAdapterError({
    kind: 'postgres',
    code: e.code ?? 'N/A',
    severity: e.severity ?? 'N/A',
    message: e.message,
    detail: e.detail,
    column: e.column,
    hint: e.hint,
    originalCode: e.code,
    originalMessage: e.message,
  });
}

function toSent(e: unknown): SentError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    // A DriverAdapterError's cause is a plain object (kind, originalCode…): it clones as it is,
    // and Prisma turns it into P2002 and the like on the other side.
    // By name: the adapter brings its own copy of @prisma/driver-adapter-utils, so its
    // DriverAdapterError is not this module's class.
    const cause = e.name === 'DriverAdapterError' ? (e as { cause?: unknown }).cause : undefined;
    return { name: e.name, message: e.message, cause, code: typeof code === 'string' ? code : undefined };
  }
  return { name: 'Error', message: String(e) };
}

main().catch((e) => {
  // Nothing to answer to yet: say it on stderr and let the controller see the thread end.
  console.error(`pglite-worker: ${e instanceof Error ? e.stack : String(e)}`);
  process.exitCode = 1;
});
