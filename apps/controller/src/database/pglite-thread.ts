import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DriverAdapterError,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
  type TransactionOptions,
} from '@prisma/driver-adapter-utils';
import type { PGliteReady, PGliteReply, PGliteRequest, PGliteWorkerData, SentError } from './pglite-thread-protocol';

// The adapter's own name: Prisma sees the same adapter it would in this thread.
const ADAPTER_NAME = 'pglite-prisma-adapter';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Send = (req: DistributiveOmit<PGliteRequest, 'id'>) => Promise<unknown>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * PGlite in a worker thread (pglite-worker.ts), seen from the controller's thread as a Prisma
 * driver-adapter factory. Every statement, the row parsing and the error mapping happen in
 * the worker; this side only posts requests and settles their promises, so the event loop
 * keeps turning while the database works (issue 11).
 */
export class PGliteThread {
  readonly factory: SqlMigrationAwareDriverAdapterFactory;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Error | undefined;
  private closing: Promise<void> | undefined;
  private closeSent = false;
  private drainWaiters: (() => void)[] = [];

  private constructor(private readonly worker: Worker) {
    const send: Send = (req) => this.send(req);
    this.factory = {
      provider: 'postgres',
      adapterName: ADAPTER_NAME,
      connect: async () => new ThreadAdapter(send),
      // Only migration authoring diffs against a shadow database, and db:migration uses an
      // in-memory PGlite of its own (create-migration.ts): the controller never asks for one.
      connectToShadowDb: () => Promise.reject(new Error('the embedded database has no shadow database')),
    };
    worker.on('message', (m: PGliteReply) => this.settle(m));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`the embedded database's thread ended (exit code ${code})`)));
    // Idle, the thread must not keep the process alive; with a request out, it must.
    worker.unref();
  }

  /** Starts the thread and opens the database in dataDir; rejects with PGlite's reason. */
  static async start(dataDir: string): Promise<PGliteThread> {
    const worker = newWorker({ dataDir });
    let onExit: (code: number) => void = () => undefined;
    let onError: (e: Error) => void = () => undefined;
    const ready = await new Promise<PGliteReady>((resolve, reject) => {
      onError = reject;
      onExit = (code) => reject(new Error(`the embedded database's thread ended while opening (exit code ${code})`));
      worker.once('message', resolve);
      worker.once('error', onError);
      worker.once('exit', onExit);
    }).finally(() => {
      // Only ours: the Worker keeps listeners of its own.
      worker.off('error', onError);
      worker.off('exit', onExit);
    });
    if (!ready.ready) {
      await worker.terminate();
      throw fromSent(ready.error);
    }
    return new PGliteThread(worker);
  }

  /** Waits for every request out, closes PGlite (its files consistent), and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.exited) return;
      this.worker.ref();
      // Statements still sent meanwhile (a buffer flushed on shutdown) are served first.
      while (this.pending.size) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
      if (this.exited) return;
      const exit = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.closeSent = true;
      await this.send({ op: 'close' });
      await exit;
    })();
    return this.closing;
  }

  private send(req: DistributiveOmit<PGliteRequest, 'id'>): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.closeSent && req.op !== 'close') return Promise.reject(new Error('the embedded database is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...req, id } as PGliteRequest);
    });
  }

  private settle(m: PGliteReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(fromSent(m.error));
    if (this.pending.size === 0) this.drained();
  }

  private drained(): void {
    // Closing, the thread stays referenced until it has exited, so the process waits for it.
    if (!this.closing) this.worker.unref();
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private fail(e: Error): void {
    this.exited ??= e;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(e);
    }
    this.drained();
  }
}

class ThreadQueryable {
  readonly provider = 'postgres' as const;
  readonly adapterName = ADAPTER_NAME;
  constructor(
    protected readonly send: Send,
    private readonly tx?: number,
  ) {}

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return this.send({ op: 'queryRaw', query, tx: this.tx }) as Promise<SqlResultSet>;
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.send({ op: 'executeRaw', query, tx: this.tx }) as Promise<number>;
  }
}

class ThreadAdapter extends ThreadQueryable implements SqlDriverAdapter {
  async executeScript(script: string): Promise<void> {
    await this.send({ op: 'executeScript', script });
  }

  /** Resolves once the worker is inside the transaction; PGlite queues every other statement until it ends. */
  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    const { tx, options } = (await this.send({ op: 'startTransaction', isolationLevel })) as { tx: number; options: TransactionOptions };
    return new ThreadTransaction(this.send, tx, options);
  }

  getConnectionInfo() {
    return { supportsRelationJoins: true };
  }

  async dispose(): Promise<void> {
    // The thread is the connection: PGliteThread.close() ends it.
  }
}

class ThreadTransaction extends ThreadQueryable implements Transaction {
  constructor(
    send: Send,
    private readonly id: number,
    readonly options: TransactionOptions,
  ) {
    super(send, id);
  }

  async commit(): Promise<void> {
    await this.send({ op: 'commit', tx: this.id });
  }

  async rollback(): Promise<void> {
    await this.send({ op: 'rollback', tx: this.id });
  }
}

function fromSent(s: SentError): Error {
  // Rebuilt as the class Prisma recognises, so a unique violation is still P2002 here.
  if (s.name === 'DriverAdapterError' && s.cause && typeof s.cause === 'object') {
    return new DriverAdapterError(s.cause as ConstructorParameters<typeof DriverAdapterError>[0]);
  }
  const e = new Error(s.message);
  e.name = s.name;
  if (s.code) (e as Error & { code?: string }).code = s.code;
  return e;
}

/**
 * The worker's file: pglite-worker.js beside the built controller (a webpack entry of its own),
 * or the TypeScript source when this runs from source (unit tests), loaded through ts-node.
 */
function workerFile(): string {
  for (const name of ['pglite-worker.js', 'pglite-worker.ts']) {
    const file = path.join(__dirname, name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`pglite-worker.js is missing beside ${__dirname}: rebuild the controller`);
}

/** From source, a .ts worker file is loaded through ts-node (Node would not take it as a path). */
function newWorker(data: PGliteWorkerData): Worker {
  const file = workerFile();
  if (!file.endsWith('.ts')) return new Worker(file, { workerData: data });
  const tsNode = createRequire(__filename).resolve('ts-node/register/transpile-only');
  const code = `require(${JSON.stringify(tsNode)}); require(${JSON.stringify(file)});`;
  // The app's own compiler settings: a runner's TS_NODE_* (nx sets moduleResolution node10, which
  // TypeScript 6 refuses as deprecated) must not reach the worker's ts-node.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TS_NODE_')));
  const env = { ...inherited, TS_NODE_PROJECT: path.join(__dirname, '..', '..', 'tsconfig.app.json') };
  return new Worker(code, { eval: true, workerData: data, env });
}
