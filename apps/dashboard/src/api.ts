import type { ErrorBody, HostDocument, PostStep, UpdateHost } from '@qfleet/protocol';

/** Shapes of the controller's answers (DESIGN.md "Interfaces"). */

export interface ApplyResult {
  revision: number;
  ok: boolean;
  changed: string[];
  skipped: string[];
  error?: { file?: string; step: string; message: string };
  ms: number;
  at: string;
}

export interface Host {
  id: string;
  name: string;
  groups: string[];
  connected: boolean;
  lastSeen: string | null;
  desiredRevision: number;
  appliedRevision: number;
  failedRevision: number | null;
  lastApply: ApplyResult | null;
  drift: string[];
  driftPolicy: DriftPolicy;
  agentVersion: string | null;
  qmail: { installed: boolean; running: boolean | null; since?: string | null } | null;
  queue: unknown;
}

/** report: drift is shown; enforce: the agent's edits are overwritten at once. */
export type DriftPolicy = NonNullable<UpdateHost['driftPolicy']>;

export interface CreatedHost {
  id: string;
  name: string;
  groups: string[];
  enrollToken: string;
}

export interface HostConfig {
  revision: number;
  document: HostDocument;
}

export interface Warning {
  path: string;
  message: string;
}

export interface SaveResult {
  revision: number;
  warnings: Warning[];
}

export interface AdoptResult {
  revision: number;
  adopted: string[];
}

export interface RevertResult {
  revision: number;
  drift: string[];
}

/** What reading the host's files gave: the document, and what it could not hold. */
export interface ImportResult {
  document: HostDocument;
  /** null on a dry run */
  revision: number | null;
  unmodelled: { path: string; reason: string }[];
  notes: Warning[];
  warnings: Warning[];
}

export interface PlannedChange {
  path: string;
  action: 'create' | 'modify' | 'remove';
  diff?: string;
}

export interface Plan {
  desiredRevision: number;
  appliedRevision: number;
  reportedAt: string | null;
  changes: PlannedChange[];
  postSteps: PostStep[];
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  diff: unknown;
}

/** An error answer of the API, or a network failure (statusCode 0). */
export class ApiError extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message);
  }
}

const TOKEN_KEY = 'qfleet.token';

export function storedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** Called when the controller answers 401: the app returns to the sign-in with the message. */
let onUnauthorized: (message: string) => void = () => undefined;
export function setUnauthorizedHandler(handler: (message: string) => void): void {
  onUnauthorized = handler;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = storedToken();
  if (token) headers['Authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError({ statusCode: 0, error: 'Network error', message: `cannot reach the controller: ${(e as Error).message}` });
  }
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err: ErrorBody =
      data && typeof data === 'object' && 'message' in data
        ? (data as ErrorBody)
        : { statusCode: res.status, error: res.statusText, message: text || `HTTP ${res.status}` };
    if (res.status === 401) onUnauthorized(err.message);
    throw new ApiError(err);
  }
  return data as T;
}

export const api = {
  listHosts: () => request<Host[]>('GET', '/hosts'),
  getHost: (id: string) => request<Host>('GET', `/hosts/${encodeURIComponent(id)}`),
  createHost: (name: string, groups: string[]) => request<CreatedHost>('POST', '/hosts', groups.length ? { name, groups } : { name }),
  updateHost: (id: string, change: UpdateHost) => request<Host>('PATCH', `/hosts/${encodeURIComponent(id)}`, change),
  adoptDrift: (id: string) => request<AdoptResult>('POST', `/hosts/${encodeURIComponent(id)}/drift/adopt`),
  revertDrift: (id: string) => request<RevertResult>('POST', `/hosts/${encodeURIComponent(id)}/drift/revert`),
  retryApply: (id: string) => request<Host>('POST', `/hosts/${encodeURIComponent(id)}/retry`),
  importHost: (id: string, dryRun: boolean) => request<ImportResult>('POST', `/hosts/${encodeURIComponent(id)}/import`, { dryRun }),
  getConfig: (id: string) => request<HostConfig>('GET', `/hosts/${encodeURIComponent(id)}/config`),
  putConfig: (id: string, document: unknown) => request<SaveResult>('PUT', `/hosts/${encodeURIComponent(id)}/config`, document),
  getPlan: (id: string) => request<Plan>('GET', `/hosts/${encodeURIComponent(id)}/plan`),
  audit: (target: string) => request<AuditEntry[]>('GET', `/audit?target=${encodeURIComponent(target)}`),
};
