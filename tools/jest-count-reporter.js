// Writes each Jest project's counts to tmp/test-results/, so `npm test` can close with one
// plain "N passed, N failed" line over every project (tools/run-tests.js).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

class CountReporter {
  constructor(globalConfig) {
    this.dir = path.resolve(__dirname, '..', 'tmp', 'test-results');
    this.name = (globalConfig.rootDir || 'tests').replace(/[^A-Za-z0-9]+/g, '_');
  }
  onRunComplete(_contexts, results) {
    fs.mkdirSync(this.dir, { recursive: true });
    const counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    fs.writeFileSync(path.join(this.dir, `${this.name}-${process.pid}.json`), JSON.stringify(counts));
  }
}
module.exports = CountReporter;
