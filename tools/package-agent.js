#!/usr/bin/env node
// `npm run package:agent`: the agent as one tarball for a mail server, dist/qfleet-agent.tar.gz,
// holding qfleet-agent/ with the bundle (one self-contained file: every dependency is in it,
// minified), its source map qfleet-agent.js.map (not installed: `tools/agent-stack.js` maps a
// logged stack trace with it), install-agent.sh, the systemd unit and the daemontools run scripts (docs/operations.md).
// It packs the bundle already built in dist/apps/agent (`nx build agent`). `--out DIR` writes
// the tarball elsewhere.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const outFlag = process.argv.indexOf('--out');
const outDir = path.resolve(outFlag > 0 ? process.argv[outFlag + 1] : path.join(repo, 'dist'));
const bundle = path.join(repo, 'dist', 'apps', 'agent', 'main.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`package-agent: ${path.relative(repo, bundle)} is missing: build the agent first (npx nx build agent)\n`);
  process.exit(1);
}

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-agent-package-'));
try {
  const root = path.join(stage, 'qfleet-agent');
  const put = (from, to, mode) => {
    fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
    fs.copyFileSync(from, path.join(root, to));
    fs.chmodSync(path.join(root, to), mode);
  };
  put(bundle, 'qfleet-agent.js', 0o644);
  if (fs.existsSync(`${bundle}.map`)) put(`${bundle}.map`, 'qfleet-agent.js.map', 0o644);
  put(path.join(repo, 'deploy', 'install-agent.sh'), 'install-agent.sh', 0o755);
  put(path.join(repo, 'deploy', 'systemd', 'qfleet-agent.service'), 'systemd/qfleet-agent.service', 0o644);
  put(path.join(repo, 'deploy', 'daemontools', 'run'), 'daemontools/run', 0o755);
  put(path.join(repo, 'deploy', 'daemontools', 'log', 'run'), 'daemontools/log/run', 0o755);
  const version = execFileSync(process.execPath, [bundle, '--version'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(root, 'VERSION'), `${version}\n`);

  fs.mkdirSync(outDir, { recursive: true });
  const tarball = path.join(outDir, 'qfleet-agent.tar.gz');
  execFileSync('tar', ['-czf', tarball, '--owner=0', '--group=0', '-C', stage, 'qfleet-agent']);
  process.stdout.write(`${path.relative(process.cwd(), tarball) || tarball}: the qfleet agent ${version}\n` +
    'On the mail server, as root: tar xzf qfleet-agent.tar.gz && sh qfleet-agent/install-agent.sh --controller URL --token TOKEN …\n');
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
