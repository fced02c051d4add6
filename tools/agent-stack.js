#!/usr/bin/env node
// `node tools/agent-stack.js [MAP] < trace.txt`: a stack trace from the minified agent bundle
// (qfleet-agent.js:1:48213 …) with each position mapped back to the TypeScript source, through
// the source map of the same build: dist/apps/agent/main.js.map by default, or the
// qfleet-agent.js.map shipped in that version's qfleet-agent.tar.gz. Node's own SourceMap
// reads it; nothing to install. Positions the map does not cover are left as they are.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { SourceMap } = require('node:module');

const mapFile = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'dist', 'apps', 'agent', 'main.js.map'));
if (!fs.existsSync(mapFile)) {
  process.stderr.write(`agent-stack: ${mapFile} is missing: build the agent (npx nx build agent) or give the map of the version that printed the trace\n`);
  process.exit(2);
}
const map = new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8')));
const source = (s) => s.replace(/^webpack:\/\/\/(\.\/)?/, '').replace(/^\.\.\/\.\.\//, '');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  // Stack frames name the bundle as whatever it was installed as: main.js, qfleet-agent.js.
  const mapped = input.replace(/([^\s()]*(?:qfleet-agent|main)\.js):(\d+):(\d+)/g, (whole, _file, line, column) => {
    const e = map.findEntry(Number(line) - 1, Number(column) - 1);
    if (!e || !e.originalSource) return whole;
    return `${source(e.originalSource)}:${e.originalLine + 1}:${e.originalColumn + 1}`;
  });
  process.stdout.write(mapped);
});
