import type { SimAgentSpec } from './sim-agent';

/** What the simulator needs of a controller: its API (TestController has this shape). */
export interface Api {
  api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/**
 * Creates `n` hosts in `groups` through POST /api/hosts (there is no bulk path yet) with
 * `concurrency` requests in flight, and returns their enrol tokens as simulator specs.
 */
export async function createSimHosts(ctl: Api, n: number, opts: { prefix?: string; groups?: string[]; concurrency?: number } = {}): Promise<SimAgentSpec[]> {
  const prefix = opts.prefix ?? 'sim';
  const specs: SimAgentSpec[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const name = `${prefix}${String(i).padStart(5, '0')}.example.net`;
      const r = await ctl.api('POST', '/api/hosts', { name, ...(opts.groups ? { groups: opts.groups } : {}) });
      if (r.status !== 201) throw new Error(`POST /api/hosts ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      specs[i] = { name, token: r.body.enrollToken, hostId: r.body.id };
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  return specs;
}

/** The host list, whether the API answers with an array or with a page of them. */
export async function listHosts(ctl: Api): Promise<{ id: string; connected: boolean; desiredRevision: number; appliedRevision: number }[]> {
  const r = await ctl.api('GET', '/api/hosts');
  if (r.status !== 200) throw new Error(`GET /api/hosts: ${r.status}`);
  if (Array.isArray(r.body)) return r.body;
  const page = r.body as { hosts?: unknown[]; items?: unknown[] };
  return (page.hosts ?? page.items ?? []) as never;
}
