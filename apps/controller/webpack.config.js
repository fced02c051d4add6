// The schema and migrations travel with the build: the controller migrates at start.
// The embedded database runs in a worker thread of its own (src/database/pglite-thread.ts).
module.exports = require('../../tools/webpack-node-app')(__dirname, {
  assets: [{ input: '../../prisma', glob: '**/*', output: 'prisma' }],
  workers: { 'pglite-worker': 'apps/controller/src/database/pglite-worker.ts' },
});
