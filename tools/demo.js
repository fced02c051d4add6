#!/usr/bin/env node
// `npm run demo`: the controller plus three agents on sandbox qmail trees under ./var/demo,
// so a newcomer sees a change travel to "mail servers" without having one. Ctrl-C stops all.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { writeMailboxes, writeQueue } = require('./demo-mail');

const ROOT = path.resolve(__dirname, '..');
const DEMO = process.env.QFLEET_DEMO_DIR ? path.resolve(process.env.QFLEET_DEMO_DIR) : path.join(ROOT, 'var', 'demo');
const PORT = process.env.PORT || '3000';
const TOKEN = process.env.QFLEET_ADMIN_TOKEN || 'demo-admin-token-change-me';
const URL_ = `http://127.0.0.1:${PORT}`;
const HOSTS = ['mx1.demo.example', 'mx2.demo.example', 'mx3.demo.example'];
const children = [];

function run(name, script, args, env) {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}] `;
  const relay = (buf) => buf.toString().split('\n').filter(Boolean).forEach((l) => process.stdout.write(prefix + l + '\n'));
  child.stdout.on('data', relay);
  child.stderr.on('data', relay);
  children.push(child);
  return child;
}

async function api(method, route, body) {
  const res = await fetch(URL_ + route, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function waitForController() {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(URL_ + '/api/health')).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the controller did not start within 60 s');
}

function makeTree(home) {
  for (const d of ['control', 'users', 'alias', 'bin']) fs.mkdirSync(path.join(home, d), { recursive: true });
  for (const name of ['qmail-newu', 'qmail-newmrh']) {
    fs.copyFileSync(path.join(ROOT, 'tools', 'stand-ins', name), path.join(home, 'bin', name));
    fs.chmodSync(path.join(home, 'bin', name), 0o755);
  }
}

async function main() {
  fs.mkdirSync(DEMO, { recursive: true });
  run('controller', path.join(ROOT, 'dist/apps/controller/main.js'), [], {
    PORT,
    QFLEET_DATA_DIR: path.join(DEMO, 'data'),
    QFLEET_ADMIN_TOKEN: TOKEN,
    // The demo shows the Swagger UI; a real controller serves it only when asked (README).
    QFLEET_API_DOCS: process.env.QFLEET_API_DOCS || '1',
  });
  await waitForController();
  const existing = await api('GET', '/api/hosts');
  for (const name of HOSTS) {
    const home = path.join(DEMO, name, 'qmail');
    const stateDir = path.join(DEMO, name, 'agent-state');
    makeTree(home);
    // A real queue and users with mail, so the Queue and Mailboxes tabs show something (first run only).
    writeQueue(home, name);
    const passwd = writeMailboxes(path.join(DEMO, name), name);
    const args = ['--controller', URL_, '--qmail-home', home, '--state-dir', stateDir, '--report-interval', '5', '--passwd', passwd];
    if (!existing.some((h) => h.name === name)) {
      const host = await api('POST', '/api/hosts', { name, groups: ['demo'] });
      await api('PUT', `/api/hosts/${host.id}/config`, {
        me: name,
        locals: [name, 'demo.example'],
        rcpthosts: [name, 'demo.example'],
        databytes: 10485760,
      });
      args.push('--token', host.enrollToken);
    }
    run(name, path.join(ROOT, 'dist/apps/agent/main.js'), args, {});
  }
  process.stdout.write(
    `\nqfleet demo is running:\n  dashboard  ${URL_}/  (sign in with the token ${TOKEN})\n  API docs   ${URL_}/api/docs\n` +
      `  qmail trees ${DEMO}/<host>/qmail/control/ (and queue/, users' Maildirs in ${DEMO}/<host>/home/)\n\nTry: curl -H 'Authorization: Bearer ${TOKEN}' ${URL_}/api/hosts\nCtrl-C stops everything.\n\n`,
  );
}

function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
main().catch((e) => {
  process.stderr.write(`demo: ${e.message}\n`);
  stopAll();
  process.exitCode = 1;
});
