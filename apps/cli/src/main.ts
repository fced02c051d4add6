import { CommanderError } from 'commander';
import { buildProgram } from './program';
import { ApiError, UsageError } from './client';

/** Exit codes: 0 done, 1 the controller or the system refused, 2 qfleet was called wrongly. */
async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    // commander has already printed its own message (help, version, or a usage error).
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      process.stderr.write(`qfleet: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ApiError && e.fields.length) {
      // The message repeats the fields on one line; here each gets its own.
      const what = e.message.split(': ')[0];
      process.stderr.write(`qfleet: ${what} (${e.fields.length} field${e.fields.length > 1 ? 's' : ''}):\n`);
      for (const f of e.fields) process.stderr.write(`  ${f.path || '(document)'}: ${f.message}\n`);
      return 1;
    }
    process.stderr.write(`qfleet: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main(process.argv).then((code) => process.exit(code));
