import type { ErrorBody } from '@qfleet/protocol';

/** The controller answered with an error: its status, message and, on a 400, the fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** A mistake in how qfleet was called: exit code 2. */
export class UsageError extends Error {}

/** The REST API with `Authorization: Bearer …` (DESIGN.md "Interfaces"). */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  /** `headers`: more request headers (If-Match on a config write). */
  async request<T>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return (await this.call<T>(method, route, body, headers)).body;
  }

  get<T>(route: string) {
    return this.request<T>('GET', route);
  }

  /** A GET whose answer's headers matter too (X-Total-Count of a page of hosts). */
  getWithHeaders<T>(route: string): Promise<{ body: T; headers: Headers }> {
    return this.call<T>('GET', route);
  }

  private async call<T>(method: string, route: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ body: T; headers: Headers }> {
    if (!this.token) throw new UsageError('no API token: pass --token or set QFLEET_TOKEN');
    const headers: Record<string, string> = { ...extra, authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.url.replace(/\/+$/, '')}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(why) ? " (its TLS certificate is not trusted: give its CA with NODE_EXTRA_CA_CERTS=ca.pem)" : '';
      throw new Error(`cannot reach the controller at ${this.url}: ${why}${hint}`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) {
      const err = parsed as Partial<ErrorBody> | undefined;
      const message = typeof err === 'object' && err?.message ? err.message : `${res.status} ${res.statusText}`;
      throw new ApiError(res.status, message, typeof err === 'object' ? (err?.fields ?? []) : []);
    }
    return { body: parsed as T, headers: res.headers };
  }
}
