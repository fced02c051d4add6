// `npm start` and `npm run demo` build first without drowning what the controller prints
// (its address, the first admin token) in Nx's output: one line while building, and the whole
// output only when the build fails.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
process.stderr.write('qfleet: building (npm run build)…\n');
const r = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'controller', 'agent', 'dashboard', 'cli', '--output-style=static'], {
  cwd: root,
  env: { ...process.env, NX_DAEMON: process.env.NX_DAEMON ?? 'false' },
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
if (r.status !== 0) {
  process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `${r.error.message}\n` : ''}qfleet: the build failed (above)\n`);
  process.exit(r.status ?? 1);
}
