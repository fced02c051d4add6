import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTROLLER_MAIN, CONTROLLER_NODE_ARGS, Proc, spawnNode } from './processes';
import { createPgDatabase, type TestDatabase } from './databases';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

/** A real controller process on a free port, on the embedded database or a fresh PostgreSQL one. */
export class TestController {
  private constructor(
    readonly proc: Proc,
    readonly url: string,
    readonly db: TestDatabase,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cleanup: () => Promise<void>,
    private readonly nodeArgs: string[] = [],
  ) {}

  /** PostgreSQL's URL when the controller runs on it (a benchmark reads outcomes there without asking the controller). */
  get databaseUrl(): string | undefined {
    return this.env['DATABASE_URL'];
  }

  /** `nodeArgs`: options for node itself (a benchmark's `--cpu-prof`, which NODE_OPTIONS may not carry). */
  static async start(db: TestDatabase, extraEnv: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<TestController> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-ctl-'));
    const pg = db === 'postgres' ? await createPgDatabase() : undefined;
    const env: NodeJS.ProcessEnv = {
      PORT: '0',
      HOST: '127.0.0.1',
      QFLEET_DATA_DIR: dataDir,
      QFLEET_ADMIN_TOKEN: ADMIN_TOKEN,
      QFLEET_APPLY_TIMEOUT_MS: '20000',
      NO_COLOR: '1',
      // Tests wait for lines logged at `log` (enrolments, rate limits); a real start defaults to warn.
      QFLEET_LOG_LEVEL: 'log',
      ...(pg ? { DATABASE_URL: pg.url } : {}),
      ...extraEnv,
    };
    const cleanup = async () => {
      await pg?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
    const { proc, url } = await TestController.spawn(env, nodeArgs);
    return new TestController(proc, url, db, env, cleanup, nodeArgs);
  }

  private static async spawn(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ proc: Proc; url: string }> {
    const proc = spawnNode(CONTROLLER_MAIN, [], env, 'controller', [...CONTROLLER_NODE_ARGS, ...nodeArgs]);
    // A shared, loaded machine can take longer than a minute to start one (QFLEET_TEST_START_MS).
    const m = await proc.waitForLine(/listening on (https?:\/\/localhost:\d+)/, Number(process.env['QFLEET_TEST_START_MS'] ?? 60_000));
    return { proc, url: m[1].replace('localhost', '127.0.0.1') };
  }

  /**
   * A second controller on this one's database (PostgreSQL): a replica, for scale-out tests.
   * It has a data dir and port of its own; the database is this controller's to drop.
   */
  static async replicaOf(first: TestController, extraEnv: NodeJS.ProcessEnv = {}): Promise<TestController> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-ctl-'));
    const env: NodeJS.ProcessEnv = { ...first.env, PORT: '0', QFLEET_DATA_DIR: dataDir, ...extraEnv };
    const { proc, url } = await TestController.spawn(env);
    return new TestController(proc, url, first.db, env, async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  }

  /** The environment this controller was started with (its data dir, database URL…). */
  get environment(): NodeJS.ProcessEnv {
    return { ...this.env };
  }

  async api<T = any>(method: string, route: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = {};
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${route}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T };
  }

  async createHost(name: string): Promise<{ id: string; enrollToken: string }> {
    const r = await this.api('POST', '/api/hosts', { name });
    if (r.status !== 201) throw new Error(`create host: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async host(id: string): Promise<any> {
    return (await this.api('GET', `/api/hosts/${id}`)).body;
  }

  /**
   * Stops and starts the same controller (same database), e.g. to test a restart; `SIGKILL`
   * kills it the way a crash or an OOM kill would, with no shutdown hook run.
   */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.proc.stop(signal);
    const { proc, url } = await TestController.spawn({ ...this.env, PORT: new URL(this.url).port }, this.nodeArgs);
    (this as { proc: Proc }).proc = proc;
    (this as { url: string }).url = url;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    const { code } = await this.proc.exited;
    await this.cleanup();
    if (code !== 0 && code !== null) throw new Error(`controller exited with ${code}:\n${this.proc.tail()}`);
  }
}
