import { access, constants, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueDeleteResult } from '@qfleet/protocol';
import { run } from '../post-steps/exec-file';
import { noServiceBackend } from '../post-steps';
import { RequestFailure, type RequestContext } from './context';
import { queueDir, splitOf, splitPath } from './queue';

const DEFAULT_SERVICE_TIMEOUT_MS = 60_000;

/**
 * Every file a message can have (QMAIL.md §4), in the order qmail itself removes them: the
 * envelope first (qmail-clean removes todo and intd), then the channel files, the bounce, info
 * and mess last. Were the agent to die half-way, what is left looks like a message qmail was
 * finishing, not one whose mess vanished under its envelope. todo and intd are split only with
 * the big-todo patch, so both forms are tried.
 */
export function queueFilesOf(dir: string, id: number, split: number): string[] {
  return [
    join(dir, 'todo', String(id)),
    splitPath(join(dir, 'todo'), id, split),
    join(dir, 'intd', String(id)),
    splitPath(join(dir, 'intd'), id, split),
    splitPath(join(dir, 'local'), id, split),
    splitPath(join(dir, 'remote'), id, split),
    join(dir, 'bounce', String(id)),
    splitPath(join(dir, 'info'), id, split),
    splitPath(join(dir, 'mess'), id, split),
  ];
}

/** Names in a directory, none when it is missing. */
async function namesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
}

/**
 * The ids among IDS that have any file in the queue: one readdir per queue directory (the split
 * ones and the flat todo/intd/bounce), not nine lstats per id, so 10,000 bogus ids cost next to
 * nothing and never stop qmail-send for nothing (issue 10, hole 12).
 */
export async function idsInQueue(dir: string, split: number, ids: number[]): Promise<Set<number>> {
  const present = new Set<string>();
  const add = async (d: string) => {
    for (const name of await namesIn(d)) present.add(name);
  };
  for (const sub of ['todo', 'intd', 'local', 'remote', 'info', 'mess']) {
    await add(join(dir, sub));
    for (let i = 0; i < split; i++) await add(join(dir, sub, String(i)));
  }
  await add(join(dir, 'bounce'));
  return new Set(ids.filter((id) => present.has(String(id))));
}

async function removeFiles(files: string[]): Promise<number> {
  let removed = 0;
  for (const file of files) {
    try {
      await unlink(file);
      removed++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}

/**
 * queue.delete, the safe way (QMAIL.md §4 "Safe intervention"): any edit but a `touch` of info
 * needs qmail-send stopped. Webmin stops it too, but by name and without waiting, and leaves
 * bounce/ and todo/ behind (§7). Here qmail-send is stopped through the service backend and
 * confirmed down (TERM lets deliveries in progress finish, which can take over a minute, §5),
 * every file of each message goes, and qmail-send is started again and confirmed up.
 * A qmail-send that was already down is left down.
 */
export async function deleteQueued(ctx: RequestContext, req: { ids: number[] }): Promise<QueueDeleteResult> {
  const { service, log } = ctx;
  const ids = [...new Set(req.ids)];
  const dir = queueDir(ctx);
  // Nothing to delete: answer without stopping qmail-send (a stop waits for deliveries in progress).
  if ((await idsInQueue(dir, splitOf(ctx), ids)).size === 0) {
    log(`queue delete: none of the ${ids.length} id(s) is in the queue; qmail-send left alone`);
    return { deleted: [], missing: ids, files: 0, qmailSend: ['not stopped: none of the ids is in the queue'] };
  }
  if (service === noServiceBackend || service.name === 'none') {
    throw new RequestFailure('unavailable', 'deleting queued messages needs qmail-send stopped: configure --service');
  }
  const timeoutMs = ctx.serviceTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS;
  return ctx.serialize(async () => {
    const steps: string[] = [];
    const wasDown = (await service.isRunning()) === false;
    if (wasDown) {
      steps.push('was down');
    } else {
      try {
        await service.control('stop');
        steps.push('stop');
        log(`queue delete: stopping qmail-send through ${service.name}`);
        await service.waitFor('down', timeoutMs);
        steps.push('down');
      } catch (err) {
        // Not confirmed down: nothing is touched, and qmail-send is asked to run again.
        const restarted = await service.control('start').then(
          () => 'it was asked to start again',
          (e: Error) => `starting it again failed too: ${e.message}`,
        );
        throw new RequestFailure('unavailable', `qmail-send did not stop, nothing was deleted (${(err as Error).message}); ${restarted}`);
      }
    }

    const result: QueueDeleteResult = { deleted: [], missing: [], files: 0, qmailSend: steps };
    let failure: Error | undefined;
    try {
      // Looked up again now that qmail-send is down: a message may have finished meanwhile.
      const present = await idsInQueue(dir, splitOf(ctx), ids);
      for (const id of ids) {
        if (!present.has(id)) {
          result.missing.push(id);
          continue;
        }
        const removed = await removeFiles(queueFilesOf(dir, id, splitOf(ctx)));
        result.files += removed;
        (removed ? result.deleted : result.missing).push(id);
      }
    } catch (err) {
      failure = err as Error;
    }
    log(`queue delete: removed ${result.deleted.length} message(s), ${result.files} file(s); ${result.missing.length} not in the queue`);

    if (!wasDown) {
      try {
        await service.control('start');
        steps.push('start');
        await service.waitFor('up', timeoutMs);
        steps.push('up');
      } catch (err) {
        // The files are gone either way: the answer says so, with qmail-send's trouble in the steps.
        steps.push(`start failed: ${(err as Error).message}`);
        log(`queue delete: qmail-send did not come back up: ${(err as Error).message}`);
      }
    } else {
      steps.push('left down');
    }
    if (failure) {
      throw new RequestFailure(
        'failed',
        `deleting stopped at a file it could not remove (${failure.message}); deleted ${result.deleted.join(', ') || 'none'}; qmail-send: ${steps.join(', ')}`,
      );
    }
    return result;
  });
}

/**
 * queue.flush, as qmailctl flush does it (QMAIL.md §5): qmail-tcpok forgets the remote hosts
 * that timed out, then ALRM makes qmail-send retry the whole queue.
 */
export async function flushQueue(ctx: RequestContext): Promise<{ ran: string[]; skipped: string[] }> {
  const ran: string[] = [];
  const skipped: string[] = [];
  const tcpok = join(ctx.qmailHome, 'bin', 'qmail-tcpok');
  const installed = await access(tcpok, constants.X_OK).then(
    () => true,
    () => false,
  );
  if (installed) {
    await run(tcpok, [], { cwd: ctx.qmailHome, timeoutMs: 30_000 });
    ran.push('qmail-tcpok');
  } else {
    skipped.push('qmail-tcpok');
    ctx.log(`queue flush: ${tcpok} is not installed (or not executable); skipped`);
  }
  if (ctx.service === noServiceBackend || ctx.service.name === 'none') {
    skipped.push('alrm');
    ctx.log('queue flush: no service backend configured; ALRM skipped');
  } else {
    await ctx.service.control('alrm');
    ran.push('alrm');
  }
  return { ran, skipped };
}
