#!/usr/bin/env node
// The package's `bin` (`npx qfleet …`, `npm run -s qfleet -- …`): the built CLI, with nothing
// printed before it, so `--json` output can be piped. The CLI is built by `npm run build`.
const fs = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('qfleet: the CLI is not built yet: run `npm run build` (or `npx nx build cli`) first\n');
  process.exit(2);
}
require(main);
