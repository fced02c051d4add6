// Preloaded with `node --require` (NODE_OPTIONS refuses --cpu-prof): profiles the process from
// its start and writes a .cpuprofile into QFLEET_CPU_PROF_DIR when it exits, one per thread
// (the embedded database runs in a worker).
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');
const { isMainThread, threadId } = require('node:worker_threads');

const dir = process.env.QFLEET_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // In-process sessions answer synchronously: the profile is written before the process goes.
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, `controller-${process.pid}-${isMainThread ? 'main' : `thread${threadId}`}.cpuprofile`), JSON.stringify(res.profile));
    });
  };
  // At SIGTERM too: a controller slow to stop under load is killed before it exits.
  if (isMainThread) process.prependListener('SIGTERM', write);
  process.on('exit', write);
}
