import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExecFailure, run } from './exec-file';

/**
 * Runs `<qmailHome>/bin/<name>` (qmail-newu, qmail-newmrh). The programs work on the home they
 * were compiled for, so the agent never runs another home's binary (QMAIL.md, top). They print
 * their fatal error on stderr and exit 111 (QMAIL.md §2), which we pass on verbatim.
 */
export async function runQmailProgram(qmailHome: string, name: 'qmail-newu' | 'qmail-newmrh'): Promise<void> {
  const program = join(qmailHome, 'bin', name);
  try {
    await access(program, constants.F_OK);
  } catch {
    throw new Error(`${name} is not installed at ${program}`);
  }
  try {
    await run(program, [], { cwd: qmailHome });
  } catch (err) {
    if (err instanceof ExecFailure) {
      if (err.errno === 'ENOENT') throw new Error(`${name} is not installed at ${program}`);
      if (err.errno === 'EACCES') throw new Error(`${name} at ${program} is not executable`);
      throw new Error(err.message.replace(program, basename(program)));
    }
    throw err;
  }
}
