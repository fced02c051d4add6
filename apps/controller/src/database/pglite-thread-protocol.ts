import type { IsolationLevel, SqlQuery } from '@prisma/driver-adapter-utils';

/**
 * The messages between the controller's thread and the thread that runs PGlite
 * (pglite-thread.ts, pglite-worker.ts). The proxy sits at Prisma's driver-adapter interface,
 * not at PGlite's: the adapter hands PGlite its row parsers as functions, which cannot cross
 * a MessagePort, so the whole adapter (parsers and error mapping included) runs in the worker.
 */
export type PGliteRequest =
  | { id: number; op: 'queryRaw' | 'executeRaw'; query: SqlQuery; tx?: number }
  | { id: number; op: 'executeScript'; script: string }
  | { id: number; op: 'startTransaction'; isolationLevel?: IsolationLevel }
  | { id: number; op: 'commit' | 'rollback'; tx: number }
  | { id: number; op: 'close' };

/** An error as it crosses: `cause` is a DriverAdapterError's mapped error (kind, originalCode…). */
export interface SentError {
  name: string;
  message: string;
  cause?: unknown;
  code?: string;
}

export type PGliteReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SentError };

/** The first message of the worker: opened, or why not. */
export type PGliteReady = { ready: true } | { ready: false; error: SentError };

export interface PGliteWorkerData {
  dataDir: string;
}
