import { MAX_BULK_HOSTS } from '@qfleet/protocol';
import type { SimAgentSpec } from './sim-agent';

/** What the simulator needs of a controller: its API (TestController has this shape). */
export interface Api {
  api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/**
 * Creates `n` hosts in `groups` through POST /api/hosts/bulk, MAX_BULK_HOSTS per call, and
 * returns their enrol tokens as simulator specs. `concurrency` is kept for callers; the calls go
 * one after another (each is one transaction).
 */
export async function createSimHosts(ctl: Api, n: number, opts: { prefix?: string; groups?: string[]; concurrency?: number } = {}): Promise<SimAgentSpec[]> {
  const prefix = opts.prefix ?? 'sim';
  const specs: SimAgentSpec[] = [];
  for (let i = 0; i < n; i += MAX_BULK_HOSTS) {
    const hosts = Array.from({ length: Math.min(MAX_BULK_HOSTS, n - i) }, (_, j) => ({
      name: `${prefix}${String(i + j).padStart(5, '0')}.example.net`,
      ...(opts.groups ? { groups: opts.groups } : {}),
    }));
    const r = await ctl.api('POST', '/api/hosts/bulk', { hosts });
    if (r.status !== 201) throw new Error(`POST /api/hosts/bulk (${hosts[0].name}…): ${r.status} ${JSON.stringify(r.body).slice(0, 1000)}`);
    for (const h of r.body.created as { id: string; name: string; enrollToken: string }[]) specs.push({ name: h.name, token: h.enrollToken, hostId: h.id });
  }
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
