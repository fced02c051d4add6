/**
 * The shape of the hostile corpus (test/security/corpus.ts) and the expansion of its markers.
 * The corpus is data: strings may name fixtures as `{alpha}` (filled in by the runner), and a
 * value too big to write out is written as a marker that `expand` turns into the real thing.
 */

/** Tokens a case may send; the runner maps them to real ones. `none` sends no Authorization. */
export type TokenName = 'admin' | 'operator' | 'viewer' | 'none' | 'bogus' | 'agentSecret' | 'usedEnrolToken' | 'tempViewer';

/** `{$repeat: 'ab', times: 3}` → 'ababab'; `{$list: item, times: n}` → n copies, `{i}` in strings numbered. */
export type Marker = { $repeat: string; times: number } | { $list: unknown; times: number };

export interface Expectation {
  /** one status, or the statuses a secure answer may have */
  status?: number | number[];
  /** a `fields[].path` of the 400 answer */
  field?: string;
  /** matched against the answer's `message` (the API) or the ack's / refusal's message */
  message?: string;
  /** the answer must not contain this (a file's content read through a hole) */
  bodyNotContains?: string;
  /** response headers that must be present (value matched) or absent (null) */
  headers?: Record<string, string | null>;
  /**
   * the answer comes within this many ms (a caller must not stall the controller). A guard
   * against stalls of tens of seconds, set far above what a loaded CI machine takes; the
   * complexity itself is asserted without a clock in the unit specs (host-pattern.spec.ts).
   */
  maxMs?: number;
}

/** Files or links the runner plants before a case and takes away after it; paths relative to a tree. */
export interface Plant {
  tree: 'alpha' | 'agent' | 'joeHome';
  path: string;
  /** a symbolic link to this target (placeholders allowed) */
  symlinkTo?: string;
  /** a regular file with this content */
  content?: string;
}

interface CaseBase {
  id: string;
  /** the threat: what an attacker would gain if this were accepted */
  why: string;
  /** the numbered hole of issue 10 this case proves closed; skipped while listed as known open */
  hole?: number;
  plant?: Plant[];
  /** database views this case may change (e.g. the audit log of a refused-but-audited attempt) */
  mayChange?: ('audit' | 'tokens')[];
}

/** A request to the REST API of the real controller. */
export interface RestCase extends CaseBase {
  kind: 'rest';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  token: TokenName;
  body?: unknown;
  /** sent as is (not JSON-encoded), with content-type application/json */
  rawBody?: string | Marker;
  expect: Expectation;
  /** the stand-in qmail-send must see no stop or start (deleting nothing restarts nothing) */
  serviceUntouched?: boolean;
}

/** A socket.io client of the real controller. */
export interface SocketCase extends CaseBase {
  kind: 'socket';
  namespace: '/agents' | '/ui' | '/';
  auth?: Record<string, unknown> | string;
  /** events sent once connected, in order */
  emit?: { event: string; payload: unknown; binary?: boolean }[];
  /** how the socket answers the controller's config.apply (a hostile agent's ack) */
  ackApplyWith?: unknown;
  /** what happens after connecting (hole 9): the token is deleted through the API */
  thenDeleteToken?: boolean;
  expect: {
    /** the connection is refused with this message */
    connectError?: string;
    /** the controller sends `refused` with this message */
    refused?: string;
    /** the controller disconnects the socket */
    disconnected?: boolean;
    /** the controller logs this line (an ack it ignored) */
    controllerLog?: string;
  };
}

/** A `config.apply` sent to a real agent by a controller the test controls. */
export interface ApplyCase extends CaseBase {
  kind: 'apply';
  payload: unknown;
  expect: { ok: false; step?: string; message: string } | { outsideUntouched: true };
}

/** The real agent driven by the test's controller, started again on a tree with something planted in it. */
export interface AgentStartCase extends CaseBase {
  kind: 'agent-start';
  /** nothing outside the qmail tree and the agent's state dir changes (owner, mode, content) */
  expect: { outsideUntouched: true };
}

export type HostileCase = RestCase | SocketCase | ApplyCase | AgentStartCase;

/** Replaces markers and `{name}` placeholders, recursively. */
export function expand(value: unknown, vars: Record<string, string | number>, index?: number): unknown {
  if (typeof value === 'string') {
    // A placeholder alone keeps its type: `'{alphaRevision}'` becomes a number.
    const whole = /^\{(\w+)\}$/.exec(value);
    if (whole && typeof vars[whole[1]] === 'number') return vars[whole[1]];
    return value.replace(/\{(\w+)\}/g, (all, name: string) => (name === 'i' && index !== undefined ? String(index) : String(vars[name] ?? all)));
  }
  if (Array.isArray(value)) return value.map((v) => expand(v, vars, index));
  if (value && typeof value === 'object') {
    const m = value as Record<string, unknown>;
    if (typeof m['$repeat'] === 'string' && typeof m['times'] === 'number') return (m['$repeat'] as string).repeat(m['times'] as number);
    if ('$list' in m && typeof m['times'] === 'number') return Array.from({ length: m['times'] as number }, (_, i) => expand(m['$list'], vars, i));
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, expand(v, vars, index)]));
  }
  return value;
}
