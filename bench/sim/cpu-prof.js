/**
 * Preloaded into the controller (NODE_OPTIONS=--require, where --cpu-prof is not allowed) when
 * a benchmark runs with BENCH_CPU_PROF_DIR: profiles each thread (the embedded database runs in
 * a worker) from start to exit and writes a .cpuprofile per thread there (open it in Chrome's
 * DevTools, Performance tab, or sum it with bench/prof/summarize.cjs).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');
const { isMainThread, threadId } = require('node:worker_threads');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const thread = isMainThread ? 'main' : `thread${threadId}`;
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.enable');
  session.post('Profiler.start');
  let written = false;
  // A same-thread session answers synchronously, so this works in an exit handler.
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `controller-${process.pid}-${thread}-${Date.now()}.cpuprofile`), JSON.stringify(res.profile));
    });
  };
  process.on('exit', write);
  if (isMainThread) watchSignals(session, write);
}

function watchSignals(session, write) {
  // SIGWINCH: the profile so far is written and a new one starts (a benchmark marks its windows).
  // Not SIGUSR2: Nest's shutdown hooks take it as a signal to stop, and the controller ended at the first mark.
  let part = 0;
  process.on('SIGWINCH', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `controller-${process.pid}-part${++part}.cpuprofile`), JSON.stringify(res.profile));
      }
      session.post('Profiler.start');
    });
  });
  // Nest's shutdown hook ends the process by signalling it again once it has closed: this
  // listener is gone by then, so that second signal ends the process as it would have.
  const onSignal = () => {
    process.off('SIGTERM', onSignal);
    write();
  };
  process.on('SIGTERM', onSignal);
}
