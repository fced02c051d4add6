import type {
  ErrorBody,
  UpdateHost,
  MailboxFleetStats,
  MailboxHostStats,
  MailboxListResult,
  MailboxUsersResult,
  ParsedMessageView,
  QueueDeleteResult,
  QueueFindRequest,
  QueueListResult,
  QueueReadResult,
  Action,
  ActionResult,
  ApiRole,
  ApiTokenView,
  CreatedApiToken,
  ServiceState,
  WhoAmI,
  DriftFile,
  DriftFilesView,
  EffectiveView,
  HostDocument,
  FleetSummary,
  HostsDelta,
} from '@qfleet/protocol';

export type { DriftFile, DriftFilesView, EffectiveView, HostDocument, FleetSummary, HostsDelta };

export type { Action, ActionResult, ApiRole, ApiTokenView, CreatedApiToken, ServiceState, WhoAmI };

/** Shapes of the controller's answers (DESIGN.md "Interfaces"): libs/protocol's views, under the names the pages use. */
import type {
  ApplyResult,
  ConfigDryRunView,
  GroupConfigDryRunView,
  CreatedHost,
  DomainStats,
  DriftPolicy,
  FleetTarget,
  HostMatch,
  HostView as Host,
  ConfigView as HostConfig,
  ImportResult,
  PlannedChange,
  PlanView as Plan,
  PrivilegedChange,
  QueueFigures as QueueSummary,
  QueuePoint,
  QueueSeries,
  QueueSparklines,
  FieldProblem as Warning,
  WriteResult as SaveResult,
  HealthGate,
  RolloutCounts,
  RolloutHostState,
  RolloutHostView,
  RolloutKind,
  RolloutPreview,
  RolloutPreviewHost,
  RolloutStatus,
  RolloutSummary,
  RolloutView,
} from '@qfleet/protocol';

export type { ApplyResult, ConfigDryRunView, GroupConfigDryRunView, CreatedHost, DomainStats, DriftPolicy, FleetTarget, HostMatch, Host, HostConfig, ImportResult, PlannedChange, Plan, PrivilegedChange, QueueSummary, QueuePoint, QueueSeries, QueueSparklines, Warning, SaveResult };
export type { MailboxFleetStats, MailboxHostStats };
export type { HealthGate, RolloutCounts, RolloutHostState, RolloutHostView, RolloutKind, RolloutPreview, RolloutPreviewHost, RolloutStatus, RolloutSummary, RolloutView };
/** The `/ui` namespace and its events (live rollout progress). */
export { UI_NAMESPACE, UiEvent } from '@qfleet/protocol/ui';
import { IF_MATCH, revisionTag } from '@qfleet/protocol/ui';

/** `GET /api/groups`: a group with how many hosts are in it. */
export interface GroupSummary {
  name: string;
  revision: number;
  hosts: number;
  updatedAt: string;
}

/** `GET /api/groups/:name`: the group's own document and its members. */
export interface GroupView {
  name: string;
  revision: number;
  document: HostDocument;
  hosts: { id: string; name: string }[];
}

/** `PUT /api/groups/:name/config`: the group's revision and each member's new revision (or why it was refused). */
export interface GroupWriteResult {
  revision: number;
  privileged: PrivilegedChange[];
  hosts: ({ id: string; name: string; revision: number; warnings: Warning[] } | { id: string; name: string; error: string })[];
}

/**
 * `POST /api/rollouts` (apps/controller rollouts.controller.ts): the change is the document
 * fragment `{add?, remove?, set?}`, checked by the controller, so it stays `unknown` here.
 */
export interface RolloutRequest {
  target: FleetTarget;
  change: unknown;
  batchSize?: number;
  maxFailures?: number;
  batchTimeoutSec?: number;
  health?: HealthGate;
  /** apply also over files edited on the hosts; otherwise such hosts are held */
  overwriteDrift?: boolean;
}

export interface AdoptResult {
  revision: number;
  adopted: string[];
}

export interface RevertResult {
  revision: number;
  drift: string[];
}

export type QueueSort = 'date' | 'sender' | 'recipient' | 'size';
export type SortOrder = 'asc' | 'desc';

export interface FindResult {
  hosts: HostMatch[];
  total: number;
}

export interface PurgeResult extends FindResult {
  deleted: number;
}

export interface FlushResult {
  ran: string[];
  skipped: string[];
}

export type MailboxUser = MailboxUsersResult['users'][number];
export type MailboxMessage = MailboxListResult['messages'][number];

export interface MailboxRead {
  id: string;
  parsed: ParsedMessageView;
}

export interface MailboxDeleteResult {
  deleted: string[];
  missing: string[];
}

export const SEARCH_FIELDS = ['from', 'subject', 'to', 'cc', 'date', 'body', 'header', 'message', 'size'] as const;
export const SEARCH_OPS = ['contains', 'notContains', 'greaterThan', 'lessThan'] as const;

/** The mailbox search of libs/qmail; the agent checks it (QMAIL.md §7, "Read User Mail"). */
export interface SearchCriterion {
  field: (typeof SEARCH_FIELDS)[number];
  headerName?: string;
  op: (typeof SEARCH_OPS)[number];
  value: string;
}

export interface MailSearch {
  criteria: SearchCriterion[];
  join: 'and' | 'or';
}

/** `POST /api/actions`: one action on many hosts, each host's own answer. */
export interface FleetActionResult {
  action: Action;
  hosts: { hostId: string; name: string; ok: boolean; result?: ActionResult; error?: string }[];
  ok: number;
  failed: number;
}

/** The filters of `GET /api/audit`; `target` is exact (`host:<id>`), `action` matches a family. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  since?: string;
  until?: string;
  limit?: number;
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

async function send(method: string, path: string, body: unknown, accept: string, extra: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = { ...extra, Accept: accept };
  const token = storedToken();
  if (token) headers['Authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError({ statusCode: 0, error: 'Network error', message: `cannot reach the controller: ${(e as Error).message}` });
  }
}

async function request<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const res = await send(method, path, body, 'application/json', headers);
  const text = await res.text();
  return answer<T>(res, text);
}

/** A page of a list with the count of every match (`X-Total-Count`); without the header, the list is all there is. */
async function requestPage<T>(path: string): Promise<{ items: T[]; total: number }> {
  const res = await send('GET', path, undefined, 'application/json');
  const items = answer<T[]>(res, await res.text());
  const header = res.headers.get('X-Total-Count');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : items.length;
  return { items, total };
}

function answer<T>(res: Response, text: string): T {
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

/**
 * Downloads need the bearer header, so a plain link will not do: fetch the file, then hand the
 * browser an object URL under the name the controller gave (Content-Disposition).
 */
async function download(path: string, fallbackName: string): Promise<string> {
  const res = await send('GET', path, undefined, '*/*');
  if (!res.ok) answer(res, await res.text());
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition) ?? /filename="?([^";]+)"?/i.exec(disposition);
  const name = named ? decodeURIComponent(named[1]) : fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/**
 * `If-Match: "<revision>"` for a write of a document opened at `revision`: the controller
 * refuses it with 412 when someone saved another revision since, rather than replacing theirs.
 */
function startingFrom(revision: number | undefined): Record<string, string> | undefined {
  return revision === undefined ? undefined : { [IF_MATCH]: revisionTag(revision) };
}

/** `?a=1&b=x` from the defined fields only. */
function query(fields: object): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

const h = (id: string) => `/hosts/${encodeURIComponent(id)}`;
const ROLLOUT_PAGE_SIZE = 100;
const ro = (id: string) => `/rollouts/${encodeURIComponent(id)}`;
const mbox = (id: string, user: string) => `${h(id)}/mailboxes/${encodeURIComponent(user)}`;

export const api = {
  listHosts: () => request<Host[]>('GET', '/hosts'),
  /** one page of the fleet for the fleet page's filter (`apiHostsQuery`), with the count of every match */
  listHostsPage: (query: string) => requestPage<Host>(`/hosts${query}`),
  fleetSummary: () => request<FleetSummary>('GET', '/fleet/summary'),
  getHost: (id: string) => request<Host>('GET', `/hosts/${encodeURIComponent(id)}`),
  createHost: (name: string, groups: string[]) => request<CreatedHost>('POST', '/hosts', groups.length ? { name, groups } : { name }),
  updateHost: (id: string, change: UpdateHost) => request<Host>('PATCH', `/hosts/${encodeURIComponent(id)}`, change),
  adoptDrift: (id: string) => request<AdoptResult>('POST', `/hosts/${encodeURIComponent(id)}/drift/adopt`),
  revertDrift: (id: string) => request<RevertResult>('POST', `/hosts/${encodeURIComponent(id)}/drift/revert`),
  retryApply: (id: string) => request<Host>('POST', `/hosts/${encodeURIComponent(id)}/retry`),
  importHost: (id: string, dryRun: boolean) => request<ImportResult>('POST', `/hosts/${encodeURIComponent(id)}/import`, { dryRun }),
  getConfig: (id: string) => request<HostConfig>('GET', `/hosts/${encodeURIComponent(id)}/config`),
  /** `revision`: the one the editor opened; a 412 (ErrorBody.current) says another was saved since */
  putConfig: (id: string, document: unknown, revision?: number) => request<SaveResult>('PUT', `/hosts/${encodeURIComponent(id)}/config`, document, startingFrom(revision)),
  /** what a PUT of this document would do (file diff, post-steps, fields no longer managed); stores nothing */
  planConfig: (id: string, document: unknown, revision?: number) => request<ConfigDryRunView>('PUT', `/hosts/${encodeURIComponent(id)}/config?dryRun=true`, document, startingFrom(revision)),
  getPlan: (id: string) => request<Plan>('GET', `/hosts/${encodeURIComponent(id)}/plan`),
  audit: (target: string) => request<AuditEntry[]>('GET', `/audit?target=${encodeURIComponent(target)}`),
  auditSearch: (f: AuditFilter) => request<AuditEntry[]>('GET', `/audit${query(f)}`),
  whoami: () => request<WhoAmI>('GET', '/whoami'),
  listTokens: () => request<ApiTokenView[]>('GET', '/tokens'),
  createToken: (name: string, role: ApiRole) => request<CreatedApiToken>('POST', '/tokens', { name, role }),
  deleteToken: (id: string) => request<void>('DELETE', `/tokens/${encodeURIComponent(id)}`),
  serviceState: (id: string) => request<ServiceState>('GET', `${h(id)}/service`),
  runAction: (id: string, action: Action) => request<ActionResult>('POST', `${h(id)}/actions`, { action }),
  runFleetAction: (target: FleetTarget, action: Action) => request<FleetActionResult>('POST', '/actions', { target, action }),
  listGroups: () => request<GroupSummary[]>('GET', '/groups'),
  createGroup: (name: string) => request<{ name: string; revision: number }>('POST', '/groups', { name }),
  getGroup: (name: string) => request<GroupView>('GET', `/groups/${encodeURIComponent(name)}`),
  deleteGroup: (name: string) => request<void>('DELETE', `/groups/${encodeURIComponent(name)}`),
  putGroupConfig: (name: string, document: unknown, revision?: number) => request<GroupWriteResult>('PUT', `/groups/${encodeURIComponent(name)}/config`, document, startingFrom(revision)),
  /** what putGroupConfig would do to each member, nothing stored */
  planGroupConfig: (name: string, document: unknown, revision?: number) => request<GroupConfigDryRunView>('PUT', `/groups/${encodeURIComponent(name)}/config?dryRun=true`, document, startingFrom(revision)),
  getEffective: (id: string) => request<EffectiveView>('GET', `${h(id)}/effective`),
  /** the drifted files as the agent reads them now, with the desired bytes and a diff */
  driftFiles: (id: string) => request<DriftFilesView>('GET', `${h(id)}/drift/files`),

  listRollouts: () => request<RolloutSummary[]>('GET', '/rollouts'),
  /** one page of its hosts (100 a page); the counts cover every host */
  getRollout: (id: string, page = 1) => request<RolloutView>('GET', `${ro(id)}?page=${page}&pageSize=${ROLLOUT_PAGE_SIZE}`),
  previewRollout: (body: RolloutRequest) => request<RolloutPreview>('POST', '/rollouts', { ...body, dryRun: true }),
  startRollout: (body: RolloutRequest) => request<RolloutView>('POST', '/rollouts', { ...body, dryRun: false }),
  /** pause, resume and cancel answer the same rollout; retry and revert answer the new one they start */
  steerRollout: (id: string, step: 'pause' | 'resume' | 'cancel' | 'retry' | 'revert') => request<RolloutView>('POST', `${ro(id)}/${step}`),
  /** a rollout halted on failures goes on only with a higher limit */
  resumeRollout: (id: string, maxFailures?: number) => request<RolloutView>('POST', `${ro(id)}/resume`, maxFailures === undefined ? undefined : { maxFailures }),

  domainStats: () => request<DomainStats[]>('GET', '/stats/domains'),
  queueSeries: (sinceSec: number, step = 60, only: { host?: string; top?: number } = {}) =>
    request<QueueSeries>('GET', `/stats/queues${query({ since: sinceSec, step, ...only })}`),
  /** the last hour of queue totals of one page's hosts (a POST only for the length of the id list; read only) */
  queueSparklines: (ids: string[]) => request<QueueSparklines>('POST', '/stats/queues/hosts', { ids }),
  findQueued: (target: FleetTarget, criteria: QueueFindRequest) => request<FindResult>('POST', '/queue/find', { target, criteria }),
  purgeQueued: (target: FleetTarget, criteria: QueueFindRequest) => request<PurgeResult>('POST', '/queue/purge', { target, criteria, confirm: true }),

  listQueue: (id: string, q: { page: number; perPage: number; sort: QueueSort; order: SortOrder }) =>
    request<QueueListResult>('GET', `${h(id)}/queue?page=${q.page}&perPage=${q.perPage}&sort=${q.sort}&order=${q.order}`),
  readQueued: (id: string, msgId: number) => request<QueueReadResult>('GET', `${h(id)}/queue/${msgId}`),
  downloadQueued: (id: string, msgId: number, part: 'raw' | number, fallbackName: string) =>
    download(`${h(id)}/queue/${msgId}/${part === 'raw' ? 'raw' : `attachments/${part}`}`, fallbackName),
  deleteQueued: (id: string, ids: number[]) => request<QueueDeleteResult>('POST', `${h(id)}/queue/delete`, { ids }),
  flushQueue: (id: string) => request<FlushResult>('POST', `${h(id)}/queue/flush`),

  mailboxUsers: (id: string) => request<MailboxUsersResult>('GET', `${h(id)}/mailboxes`),
  /** mailbox statistics (issue 14): the fleet, and one host's figures over time */
  mailboxFleetStats: (sinceSec: number, step: number, quotaOver = 0.9) => request<MailboxFleetStats>('GET', `/stats/mailboxes?since=${sinceSec}&step=${step}&quotaOver=${quotaOver}`),
  mailboxHostStats: (id: string, sinceSec: number, step: number) => request<MailboxHostStats>('GET', `/stats/mailboxes/hosts/${encodeURIComponent(id)}?since=${sinceSec}&step=${step}`),
  listMailbox: (id: string, user: string, page: number, q?: string) =>
    request<MailboxListResult>('GET', `${mbox(id, user)}/messages?page=${page}${q ? `&q=${encodeURIComponent(q)}` : ''}`),
  searchMailbox: (id: string, user: string, page: number, search: MailSearch) => request<MailboxListResult>('POST', `${mbox(id, user)}/search`, { page, search }),
  readMail: (id: string, user: string, msgId: string) => request<MailboxRead>('GET', `${mbox(id, user)}/messages/${encodeURIComponent(msgId)}`),
  downloadMail: (id: string, user: string, msgId: string, part: 'raw' | number, fallbackName: string) =>
    download(`${mbox(id, user)}/messages/${encodeURIComponent(msgId)}/${part === 'raw' ? 'raw' : `attachments/${part}`}`, fallbackName),
  deleteMail: (id: string, user: string, ids: string[]) => request<MailboxDeleteResult>('POST', `${mbox(id, user)}/messages/delete`, { ids }),
};
