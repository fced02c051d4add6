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
  // Made first: concurrent POST /api/hosts naming a group that does not exist yet race to
  // create it, and on PostgreSQL the losers answer 500 (a unique-constraint error).
  for (const name of opts.groups ?? []) {
    const r = await ctl.api('POST', '/api/groups', { name });
    if (r.status !== 201 && r.status !== 200 && r.status !== 409) throw new Error(`POST /api/groups ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
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
