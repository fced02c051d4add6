import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { expectText, launchBrowser, signIn } from '../support/browser';
import { runCli } from '../support/cli';
import { testDatabases } from '../support/databases';
import { waitFor } from '../support/processes';

/**
 * Two operators editing one document: the write names the revision it started from
 * (`If-Match: "<revision>"`) and is refused with 412, naming the revision it is at and who
 * saved it, when the other saved first. Without the header a write replaces what is there, as
 * before. The API on each database (two writes from one revision at once: exactly one stored),
 * then `qfleet config edit` and the dashboard's forms and JSON editor against a real controller.
 */
async function call(ctl: TestController, method: string, route: string, body?: unknown, ifMatch?: string, token = ADMIN_TOKEN): Promise<{ status: number; body: any; etag: string | null }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (ifMatch !== undefined) headers['if-match'] = ifMatch;
  const res = await fetch(`${ctl.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, etag: res.headers.get('etag') };
}

async function operatorToken(ctl: TestController, name: string): Promise<string> {
  const created = await ctl.api('POST', '/api/tokens', { name, role: 'operator' });
  expect(created.status).toBe(201);
  return created.body.token;
}

describe.each(testDatabases())('If-Match on config writes (%s)', (db) => {
  let ctl: TestController;
  let hostId: string;
  let alice: string;

  beforeAll(async () => {
    ctl = await TestController.start(db);
    hostId = (await ctl.createHost('precondition.example.net')).id;
    await ctl.api('POST', '/api/groups', { name: 'edge' });
    alice = await operatorToken(ctl, 'alice');
  });
  afterAll(async () => {
    await ctl?.stop();
  });

  it("refuses a host write that started from an older revision, naming the current one and who saved it; stores nothing", async () => {
    const opened = await call(ctl, 'GET', `/api/hosts/${hostId}/config`);
    expect(opened.etag).toBe('"0"');
    // Alice saves first, from the same revision.
    const first = await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: ['alice.example'] }, '"0"', alice);
    expect(first).toMatchObject({ status: 200, body: { revision: 1 } });

    for (const [method, query] of [['PUT', ''], ['PATCH', ''], ['PUT', '?dryRun=true']]) {
      const stale = await call(ctl, method, `/api/hosts/${hostId}/config${query}`, { locals: ['mine.example'] }, '"0"');
      expect([method, query, stale.status]).toEqual([method, query, 412]);
      expect(stale.body).toMatchObject({ statusCode: 412, error: 'Precondition Failed', current: { revision: 1, by: 'alice (operator)', at: expect.any(String) } });
      expect(stale.body.message).toMatch(/^the configuration of host precondition\.example\.net changed since revision 0: it is at revision 1, saved by alice \(operator\) at /);
    }
    // Decided before the body: a stale editor hears that, not about a document it must reload anyway.
    expect((await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { lokals: [] }, '"0"')).status).toBe(412);
    const now = await call(ctl, 'GET', `/api/hosts/${hostId}/config`);
    expect(now).toMatchObject({ etag: '"1"', body: { revision: 1, document: { locals: ['alice.example'] } } });

    // From the current revision, a list of tags, `*`, or no header at all (scripts): saved.
    expect((await call(ctl, 'PATCH', `/api/hosts/${hostId}/config`, { me: 'mx.example' }, '"1"')).body.revision).toBe(2);
    expect((await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: ['b.example'] }, '"7", "2"')).body.revision).toBe(3);
    expect((await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: ['c.example'] }, '*')).body.revision).toBe(4);
    expect((await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: ['d.example'] })).body.revision).toBe(5);

    const malformed = await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: ['e.example'] }, '5');
    expect(malformed.status).toBe(400);
    expect(malformed.body.fields).toEqual([{ path: 'If-Match', message: expect.stringContaining('in quotes') }]);
  });

  it('describes If-Match and the 412 on every config write in the OpenAPI description', async () => {
    const doc = (await ctl.api('GET', '/api/openapi.json')).body;
    for (const [route, method] of [['/api/hosts/{id}/config', 'put'], ['/api/hosts/{id}/config', 'patch'], ['/api/groups/{name}/config', 'put'], ['/api/groups/{name}/config', 'patch']]) {
      const op = doc.paths[route][method];
      expect([route, method, op.parameters.find((p: { in: string; name: string }) => p.in === 'header' && p.name === 'If-Match')?.required]).toEqual([route, method, false]);
      expect(op.responses['412'].description).toContain('current');
    }
  });

  it('of two writes from the same revision at once, exactly one is stored', async () => {
    const { revision } = (await call(ctl, 'GET', `/api/hosts/${hostId}/config`)).body;
    const tag = `"${revision}"`;
    const writes = await Promise.all(['x', 'y', 'z', 'w'].map((n) => call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: [`${n}.example`] }, tag)));
    expect(writes.map((w) => w.status).sort()).toEqual([200, 412, 412, 412]);
    const winner = writes.find((w) => w.status === 200)!;
    expect(winner.body.revision).toBe(revision + 1);
    for (const lost of writes.filter((w) => w.status === 412)) expect(lost.body.current.revision).toBe(revision + 1);
    const stored = await ctl.api('GET', `/api/audit?target=host:${hostId}&action=config.put`);
    expect(stored.body.filter((e: { diff: { revision: number } }) => e.diff.revision > revision)).toHaveLength(1);
  });

  it("refuses a group write that started from an older revision, the same way", async () => {
    const opened = await call(ctl, 'GET', '/api/groups/edge/config');
    expect(opened).toMatchObject({ etag: '"0"', body: { revision: 0 } });
    expect((await call(ctl, 'PUT', '/api/groups/edge/config', { databytes: 1000 }, '"0"', alice)).body.revision).toBe(1);
    for (const [method, query] of [['PUT', ''], ['PATCH', ''], ['PATCH', '?dryRun=true']]) {
      const stale = await call(ctl, method, `/api/groups/edge/config${query}`, { databytes: 2000 }, '"0"');
      expect([method, query, stale.status]).toEqual([method, query, 412]);
      expect(stale.body.current).toEqual({ revision: 1, by: 'alice (operator)', at: expect.any(String) });
      expect(stale.body.message).toMatch(/^the document of group edge changed since revision 0: it is at revision 1, saved by alice \(operator\)/);
    }
    expect((await call(ctl, 'GET', '/api/groups/edge/config')).body).toEqual({ revision: 1, document: { databytes: 1000 } });
    const writes = await Promise.all([3000, 4000, 5000].map((databytes) => call(ctl, 'PATCH', '/api/groups/edge/config', { databytes }, '"1"')));
    expect(writes.map((w) => w.status).sort()).toEqual([200, 412, 412]);
    expect((await call(ctl, 'PUT', '/api/groups/edge/config', { databytes: 6000 })).body.revision).toBe(3);
  });
});

describe('qfleet config edit and the dashboard send the revision they opened', () => {
  let ctl: TestController;
  let hostId: string;
  let alice: string;
  let browser: Browser;
  let work: string;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    hostId = (await ctl.createHost('editors.example.net')).id;
    await ctl.api('PUT', `/api/hosts/${hostId}/config`, { locals: ['start.example'] });
    alice = await operatorToken(ctl, 'alice');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-precondition-'));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ctl?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('qfleet config edit: a save by someone else while the editor is open is not replaced', async () => {
    // The "editor": alice saves through the API meanwhile, then the operator's edit is written.
    const editor = path.join(work, 'editor.js');
    fs.writeFileSync(
      editor,
      `const fs = require('node:fs');
       (async () => {
         const res = await fetch(${JSON.stringify(`${ctl.url}/api/hosts/${hostId}/config`)}, { method: 'PUT', headers: { authorization: 'Bearer ${alice}', 'content-type': 'application/json' }, body: JSON.stringify({ locals: ['alice.example'] }) });
         if (res.status !== 200) process.exit(3);
         fs.writeFileSync(process.argv[2], JSON.stringify({ locals: ['mine.example'] }));
       })();`,
    );
    const r = await runCli(ctl.url, ['config', 'edit', 'editors.example.net', '--yes'], { env: { EDITOR: `${process.execPath} ${editor}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/qfleet: the configuration of host editors\.example\.net changed since revision 1: it is at revision 2, saved by alice \(operator\)/);
    expect(r.stderr).toMatch(/your edit is kept in /);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body).toEqual({ revision: 2, document: { locals: ['alice.example'] } });

    // Nobody in between: the edit is saved.
    fs.writeFileSync(editor, `require('node:fs').writeFileSync(process.argv[2], JSON.stringify({ locals: ['mine.example'] }));`);
    const ok = await runCli(ctl.url, ['config', 'edit', 'editors.example.net', '--yes'], { env: { EDITOR: `${process.execPath} ${editor}` } });
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('editors.example.net: saved as revision 3');
  });

  it("the forms and the JSON editor show who changed it since it was opened, save nothing, and reload", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(page, ctl.url, ADMIN_TOKEN);
    await page.goto(`${ctl.url}/hosts/${hostId}`);
    await page.locator('[data-testid=config-forms][data-loaded=true][data-editable=true]').waitFor();
    const before = (await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.revision as number;

    // Alice saves while this page has the document open.
    expect((await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: ['alice2.example'] }, `"${before}"`, alice)).status).toBe(200);

    await page.getByTestId('input-locals[0]').fill('forms.example');
    await page.getByTestId('forms-review').click();
    const notice = page.getByTestId('stale-notice');
    await expectText(notice, new RegExp(`^Changed by alice \\(operator\\) since you opened it \\(revision ${before + 1}\\): reload`));
    expect(await page.getByTestId('forms-review-panel').count()).toBe(0);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body).toEqual({ revision: before + 1, document: { locals: ['alice2.example'] } });
    await notice.getByTestId('stale-reload').click();
    await waitFor('the forms showing alice’s revision', async () => (await page.getByTestId('input-locals[0]').inputValue()) === 'alice2.example');
    expect(await page.getByTestId('stale-notice').count()).toBe(0);

    // After the reload the same edit goes through.
    await page.getByTestId('input-locals[0]').fill('forms.example');
    await page.getByTestId('forms-review').click();
    await page.getByTestId('forms-review-panel').waitFor();
    await page.getByTestId('forms-confirm').click();
    await page.locator(`[data-testid=forms-saved][data-revision="${before + 2}"]`).waitFor();

    // The JSON editor, once it shows the forms' save: alice saves again, then this page's save is refused.
    await page.getByTestId('config-tab-advanced').click();
    const editor = page.getByTestId('config-editor');
    await waitFor('the JSON editor showing the forms’ save', async () => (await editor.inputValue()).includes('forms.example'));
    expect((await call(ctl, 'PUT', `/api/hosts/${hostId}/config`, { locals: ['alice3.example'] }, `"${before + 2}"`, alice)).status).toBe(200);
    await editor.fill(JSON.stringify({ locals: ['json.example'] }));
    await page.getByTestId('config-save').click();
    await expectText(page.getByTestId('config-advanced').getByTestId('stale-notice'), new RegExp(`^Changed by alice \\(operator\\) since you opened it \\(revision ${before + 3}\\)`));
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.document).toEqual({ locals: ['alice3.example'] });
    await page.getByTestId('config-advanced').getByTestId('stale-reload').click();
    await waitFor('the JSON editor showing alice’s revision', async () => (await editor.inputValue()).includes('alice3.example'));
    await page.close();
  });
});
