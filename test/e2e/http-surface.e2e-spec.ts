import { io, type Socket } from 'socket.io-client';
import { AGENT_SOCKET_PATH } from '@qfleet/protocol';
import { ADMIN_TOKEN, TestController } from '../support/controller';

/**
 * The controller's HTTP and socket.io surface as an outsider meets it (issue 10, items 8 and
 * 13, and rate limits): what is read before a token is checked, what answers without one,
 * the headers on every answer, and how much one token, address or agent may send.
 */

type Outcome = { connected: true } | { error: string } | { disconnected: string };

/** The first thing that happens to a socket: it connects, is refused, or is cut off. */
function outcome(socket: Socket): Promise<Outcome> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true }));
    socket.once('connect_error', (e) => resolve({ error: e.message }));
    socket.once('disconnect', (reason) => resolve({ disconnected: reason }));
  });
}

function open(url: string, opts: { path?: string; auth?: Record<string, unknown> } = {}): Socket {
  return io(url, { transports: ['websocket'], reconnection: false, ...opts });
}

describe('the HTTP and socket surface', () => {
  let ctl: TestController;
  beforeAll(async () => {
    ctl = await TestController.start('embedded', { QFLEET_METRICS_PORT: '0' });
  });
  afterAll(async () => {
    await ctl?.stop();
  });

  it('reads no large frame before a /ui socket has shown a token (the engine cuts it off)', async () => {
    // 1 MB in the handshake: on a path with the agents' 32 MB limit this reached the token
    // check ("unknown API token"); now the engine closes the connection first.
    const big = open(`${ctl.url}/ui`, { auth: { token: 'x'.repeat(1024 * 1024) } });
    const result = await outcome(big);
    big.close();
    expect(result).not.toEqual({ error: 'unknown API token' });
    expect(result).not.toEqual({ connected: true });
    // A handshake of a normal size still reaches the token check and gets its clear answer.
    const small = open(`${ctl.url}/ui`, { auth: { token: 'not-a-token' } });
    expect(await outcome(small)).toEqual({ error: 'unknown API token' });
    small.close();
    const ok = open(`${ctl.url}/ui`, { auth: { token: ADMIN_TOKEN } });
    expect(await outcome(ok)).toEqual({ connected: true });
    ok.close();
  });

  it('reads no large frame before an agent has authenticated, and large ones after', async () => {
    // Anonymous: 1 MB in the handshake is cut off before the token check ("bad handshake: token…").
    const anonymous = open(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, auth: { token: 'x'.repeat(1024 * 1024) } });
    const result = await outcome(anonymous);
    anonymous.close();
    expect(result).not.toEqual({ connected: true });
    expect(result).not.toEqual({ error: expect.stringContaining('bad handshake') });
    // Authenticated: a 1 MB event is read (and refused for what it says, not for its size).
    const host = await ctl.createHost('large-frames.example.net');
    const agent = open(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, auth: { token: host.enrollToken } });
    confirmEnrolment(agent);
    try {
      expect(await outcome(agent)).toEqual({ connected: true });
      const refused = new Promise<{ message: string }>((resolve) => agent.on('refused', resolve));
      agent.emit('hello', { agentVersion: 'x'.repeat(1024 * 1024) });
      expect((await refused).message).toMatch(/^invalid hello: agentVersion/);
    } finally {
      agent.close();
    }
  });

  it('refuses sockets on the root namespace and on unknown namespaces, on both engine paths', async () => {
    const cases: { url: string; path?: string; expected: RegExp }[] = [
      { url: `${ctl.url}/`, expected: /no such namespace/ },
      { url: `${ctl.url}/`, path: AGENT_SOCKET_PATH, expected: /no such namespace/ },
      { url: `${ctl.url}/nope`, expected: /Invalid namespace/ },
      { url: `${ctl.url}/nope`, path: AGENT_SOCKET_PATH, expected: /Invalid namespace/ },
      // Each namespace lives on its own path only.
      { url: `${ctl.url}/agents`, expected: /Invalid namespace/ },
      { url: `${ctl.url}/ui`, path: AGENT_SOCKET_PATH, expected: /Invalid namespace/ },
    ];
    for (const c of cases) {
      const s = open(c.url, { path: c.path, auth: { token: ADMIN_TOKEN } });
      const result = await outcome(s);
      s.close();
      expect({ ...c, result }).toEqual({ ...c, result: { error: expect.stringMatching(c.expected) } });
    }
  });

  it('answers a bad agent handshake with a clear error and closes', async () => {
    const missing = open(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH });
    expect(await outcome(missing)).toEqual({ error: expect.stringMatching(/^bad handshake: .*token/) });
    missing.close();
    const unknown = open(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, auth: { token: 'qfs_' + 'y'.repeat(40) } });
    expect(await outcome(unknown)).toEqual({ error: 'unknown or already used agent token' });
    unknown.close();
  });

  it('ignores unknown events on /ui and /agents and goes on serving the socket', async () => {
    const host = await ctl.createHost('unknown-events.example.net');
    const agent = open(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, auth: { token: host.enrollToken } });
    confirmEnrolment(agent);
    const agentOutcome = outcome(agent);
    const ui = open(`${ctl.url}/ui`, { auth: { token: ADMIN_TOKEN } });
    // Listened for from the start: either socket may connect first.
    const uiOutcome = outcome(ui);
    try {
      expect(await agentOutcome).toEqual({ connected: true });
      expect(await uiOutcome).toEqual({ connected: true });
      const refused = new Promise<{ message: string }>((resolve) => agent.on('refused', resolve));
      for (const s of [agent, ui]) {
        s.emit('no.such.event', { a: 1 });
        s.emit('constructor', '__proto__');
        s.emit('toString');
        s.emit('rollout.progress', { id: 'forged' });
      }
      // The agent's socket still reads events after the unknown ones: a malformed hello gets its refusal.
      agent.emit('hello', { agentVersion: 1 });
      expect((await refused).message).toMatch(/^invalid hello/);
      expect(ui.connected).toBe(true);
      expect((await ctl.api('GET', '/api/health')).body).toMatchObject({ ok: true });
      expect(ctl.proc.output.join('\n')).not.toMatch(/TypeError|ERROR \[/);
    } finally {
      agent.close();
      ui.close();
    }
  });

  it('sends security headers on every answer and no X-Powered-By', async () => {
    for (const route of ['/', '/hosts', '/api/health', '/api/hosts', '/metrics']) {
      const res = await fetch(`${ctl.url}${route}`);
      const h = res.headers;
      expect({ route, csp: h.get('content-security-policy') }).toEqual({ route, csp: expect.stringContaining("script-src 'self'") });
      expect(h.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(h.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
      expect(h.get('x-frame-options')).toBe('DENY');
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('x-powered-by')).toBeNull();
    }
  });

  it('serves /metrics only with a token, and without one on QFLEET_METRICS_PORT', async () => {
    const anonymous = await ctl.api('GET', '/metrics', undefined, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.message).toContain('Authorization: Bearer');
    const viewer = (await ctl.api('POST', '/api/tokens', { name: 'grafana', role: 'viewer' })).body.token as string;
    const withToken = await ctl.api('GET', '/metrics', undefined, viewer);
    expect(withToken.status).toBe(200);
    expect(withToken.body).toContain('qfleet_controller_');

    const port = (await ctl.proc.waitForLine(/metrics without a token on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1];
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('qfleet_controller_');
    // That port serves nothing else.
    const other = await fetch(`http://127.0.0.1:${port}/api/hosts`);
    expect(other.status).toBe(404);
  });

  it('keeps the OpenAPI description behind a token and the Swagger UI off unless asked for', async () => {
    const ui = await ctl.api('GET', '/api/docs', undefined, null);
    expect(ui.status).toBe(404);
    expect(ui.body.message).toContain('QFLEET_API_DOCS=1');
    expect((await ctl.api('GET', '/api/docs.json', undefined, null)).status).toBe(404);
    expect((await ctl.api('GET', '/api/openapi.json', undefined, null)).status).toBe(401);
    const doc = await ctl.api('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toContain('/api/hosts');
  });
});

describe('rate limits', () => {
  let ctl: TestController;
  beforeAll(async () => {
    ctl = await TestController.start('embedded', {
      QFLEET_RATE_LIMIT_TOKEN: '20',
      QFLEET_RATE_LIMIT_ANONYMOUS: '10',
      QFLEET_AGENT_EVENTS_PER_MINUTE: '30',
      QFLEET_API_DOCS: '1',
    });
  });
  afterAll(async () => {
    await ctl?.stop();
  });

  it('serves the Swagger UI when QFLEET_API_DOCS=1', async () => {
    const res = await fetch(`${ctl.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });

  it('answers 429 with Retry-After once a token has spent its budget, and other tokens go on', async () => {
    const viewer = (await ctl.api('POST', '/api/tokens', { name: 'busy script', role: 'viewer' })).body.token as string;
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) answers.push((await ctl.api('GET', '/api/hosts', undefined, viewer)).status);
    expect(answers.every((s) => s === 200)).toBe(true);
    const res = await fetch(`${ctl.url}/api/hosts`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = await res.json();
    expect(body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(body.message).toMatch(/the API token "busy script" made more than 20 requests this minute \(QFLEET_RATE_LIMIT_TOKEN\); retry in \d+ s/);
    expect((await ctl.api('GET', '/api/hosts')).status).toBe(200);
    await ctl.proc.waitForLine(/busy script" made more than 20 requests/);
  });

  it('refuses an agent that floods events, with a log line', async () => {
    const host = await ctl.createHost('flood.example.net');
    const agent = open(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, auth: { token: host.enrollToken } });
    confirmEnrolment(agent);
    try {
      expect(await outcome(agent)).toEqual({ connected: true });
      const refused = new Promise<{ message: string }>((resolve) => agent.on('refused', resolve));
      const disconnected = new Promise<void>((resolve) => agent.on('disconnect', () => resolve()));
      for (let i = 0; i < 40; i++) agent.emit('noise', i);
      expect((await refused).message).toBe('more than 30 events a minute (QFLEET_AGENT_EVENTS_PER_MINUTE)');
      await disconnected;
      await ctl.proc.waitForLine(/host flood\.example\.net: more than 30 events a minute .*disconnecting/);
    } finally {
      agent.close();
    }
  });

  // Last: it spends this address's budget, which then also holds back token lookups from it.
  it('answers 429 to an address that keeps sending requests without a valid token', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 10; i++) answers.push((await ctl.api('GET', '/api/hosts', undefined, `qft_guess${i}`)).status);
    expect(answers.every((s) => s === 401)).toBe(true);
    const res = await fetch(`${ctl.url}/api/hosts`, { headers: { authorization: 'Bearer qft_guess-again' } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await res.json()).message).toMatch(/made more than 10 requests without a valid token this minute \(QFLEET_RATE_LIMIT_ANONYMOUS\)/);
  });
});

/** An enrolling agent's events count once it acks that it stored its secret (as the real agent does). */
function confirmEnrolment(agent: Socket): void {
  agent.on('enrolled', (_payload: unknown, ack: (answer: { stored: true }) => void) => ack({ stored: true }));
}
