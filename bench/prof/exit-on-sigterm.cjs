// Preloaded into the controller by `fanout --cpu-prof`: Nest's shutdown hook ends the process by
// re-raising SIGTERM, and a process killed by a signal writes no --cpu-prof profile. Exiting
// normally on SIGTERM lets Node write it (main thread and worker threads).
process.prependListener('SIGTERM', () => process.exit(0));
