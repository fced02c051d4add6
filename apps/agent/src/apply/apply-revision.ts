import type { ApplyAck, ConfigApply, PostStep } from '@qfleet/protocol';
import type { ApplyContext } from './apply-context';
import { stageApplied, writeApplied, type StagedApplied } from './applied-state';
import { SyncBatch } from './durable-fs';
import { diffAgainstDisk } from './changes';
import { commit } from './commit';
import { maybeCrash } from './fault';
import { dropCompletedJournal, journalExists, type JournalPlan } from './journal';
import { prepare } from './prepare';
import { GENERATED_BY, postStepsFor, sha256 } from './qmail';
import { recoverJournal } from './recover-journal';
import { undoPlan } from './roll-back';
import { checkPaths, UnsafePath } from './safe-path';
import { checkContents } from './content-check';
import { StepError } from './step-error';
import { nextTurn, randomSuffix } from '@qfleet/qmail';
import { passwdShadowedAliases } from './shadowed-aliases';

// One apply at a time per state directory: two overlapping applies would share one journal.
const queues = new Map<string, Promise<unknown>>();

/**
 * Applies one revision all-or-nothing (DESIGN.md "The agent: applying safely"). Never throws:
 * every failure becomes an ok:false ack naming the step and, where there is one, the file.
 * A revision at or below the applied one is applied too: the controller decides (a revert).
 */
export function applyRevision(ctx: ApplyContext, msg: ConfigApply): Promise<ApplyAck> {
  const previous = queues.get(ctx.stateDir) ?? Promise.resolve();
  const later: (() => Promise<void>)[] = [];
  const next = previous.then(() => applyNow(ctx, msg, later));
  // What an apply leaves to tidy (its completed journal) waits until the ack has gone out
  // (setImmediate: after the caller's emit), and the next apply of this directory waits for it.
  queues.set(
    ctx.stateDir,
    next
      .then(nextTurn)
      .then(async () => {
        for (const job of later) await job();
      })
      .catch(() => undefined),
  );
  return next;
}

/** Resolves once every apply of STATE_DIR started so far has finished, housekeeping included. */
export async function appliesSettled(stateDir: string): Promise<void> {
  await queues.get(stateDir);
}

function sourceOf(step: PostStep): string | undefined {
  return Object.values(GENERATED_BY).find((g) => g.step === step)?.source;
}

async function applyNow(ctx: ApplyContext, msg: ConfigApply, later: (() => Promise<void>)[]): Promise<ApplyAck> {
  const started = Date.now();
  const rev = msg.revision;
  const ack = (fields: Omit<ApplyAck, 'revision' | 'ms'>): ApplyAck => ({ revision: rev, ...fields, ms: Date.now() - started });
  const fail = (err: StepError, changed: string[] = [], skipped: string[] = []): ApplyAck => {
    ctx.log(`revision ${rev} failed at ${err.step}${err.file ? ` (${err.file})` : ''}: ${err.message}`);
    return ack({ ok: false, changed, skipped, error: err.toAckError() });
  };

  try {
    await checkPaths(ctx.qmailHome, [...msg.files.map((f) => f.path), ...msg.removes]);
    checkContents(msg);
  } catch (err) {
    return fail(err instanceof UnsafePath ? new StepError('validate', err.message, err.path) : StepError.wrap('validate', err));
  }

  let plan: JournalPlan;
  let applied: StagedApplied;
  let changed: string[];
  let steps: PostStep[];
  try {
    // A journal left by a failed rollback is finished first; the new revision starts clean.
    if (await journalExists(ctx.stateDir)) await recoverJournal(ctx);
    const changes = await diffAgainstDisk(ctx.qmailHome, msg);
    changed = changes.map((c) => c.path);
    // The agent decides from what really changed on disk; msg.postSteps is the controller's guess.
    steps = postStepsFor(changed, changes.filter((c) => c.action === 'remove').map((c) => c.path));
    if ([...steps].sort().join() !== [...msg.postSteps].sort().join()) {
      ctx.log(`revision ${rev}: controller expected post-steps [${msg.postSteps.join(', ')}], running [${steps.join(', ')}] for what changed on disk`);
    }
    if (changes.length === 0) {
      await writeApplied(ctx.stateDir, { revision: rev, files: hashes(msg) }).catch((err) => {
        throw StepError.wrap('record', err);
      });
      ctx.log(`revision ${rev} applied: nothing differed from disk`);
      await logShadowedAliases(ctx, msg);
      return ack({ ok: true, changed: [], skipped: [] });
    }
    // applied.json's next content is written and synced alongside the journal: it names the
    // plan's id, and nothing reads it before install() renames it into place at the very end.
    // One batch of syncs for both (SyncBatch): prepare writes its files, then syncs them with this.
    const id = journalId();
    const batch = new SyncBatch();
    applied = stageApplied(ctx.stateDir, { revision: rev, files: hashes(msg), journal: id }, batch);
    try {
      plan = await prepare(ctx.qmailHome, ctx.stateDir, rev, changes, steps, id, batch, ctx.fault);
    } catch (err) {
      await applied.discard();
      throw err;
    }
  } catch (err) {
    return fail(StepError.wrap('prepare', err));
  }

  const skipped: string[] = [];
  try {
    // Recorded by commit before any is sent: a crash mid-signal still gets it repeated on rollback.
    const signals = steps.filter((s): s is 'hup' | 'restart' => s === 'hup' || s === 'restart');
    await commit(ctx.qmailHome, ctx.stateDir, plan, signals, ctx.fault);
    skipped.push(...(await runPostSteps(ctx, plan, steps)));
    // The commit point: a crash before install's directory fsync returns rolls back at start-up
    // (applied.json still names an older journal); a crash after it finds this plan's id there
    // and keeps the new files.
    await applied.install().catch((err) => {
      throw StepError.wrap('record', err);
    });
  } catch (err) {
    await applied.discard();
    const failure = StepError.wrap('commit', err);
    try {
      await undoPlan(ctx, plan, `${failure.step} failed`);
    } catch (undoErr) {
      failure.message += `; rollback failed, the agent retries it at start-up: ${(undoErr as Error).message}`;
    }
    return fail(failure, [], skipped);
  }

  maybeCrash(ctx.fault, { kind: 'after-record' });
  // No sync: applied.json names this plan's id durably, so recoverJournal knows the plan is done.
  // After the ack: the apply is complete without it (a crash before it leaves a journal that
  // start-up recognises as done).
  later.push(() => dropCompletedJournal(ctx.stateDir).catch((err) => ctx.log(`revision ${rev}: could not remove the journal: ${(err as Error).message}`)));
  ctx.log(`revision ${rev} applied: ${changed.join(', ')}${steps.length ? `; post-steps ${steps.join(', ')}` : ''}${skipped.length ? ` (skipped ${skipped.join(', ')})` : ''}`);
  await logShadowedAliases(ctx, msg);
  return ack({ ok: true, changed, skipped });
}

/**
 * The cdb builders first, together: qmail-newmrh and qmail-newu read and write different files,
 * so neither waits for the other. Then the signal, once both are built (qmail-send must reread
 * the new cdbs). A failure is reported for the first failing step in order, after every started
 * builder has finished, so the rollback never races a builder still writing its cdb.
 */
async function runPostSteps(ctx: ApplyContext, plan: JournalPlan, steps: PostStep[]): Promise<PostStep[]> {
  const run = (step: PostStep) =>
    ctx.postSteps.run(step).then(
      (outcome) => (outcome === 'skipped' ? [step] : []),
      (err) => Promise.reject(StepError.wrap(step, err, sourceOf(step))),
    );
  const builders = steps.filter((s) => s !== 'hup' && s !== 'restart');
  const built = await Promise.allSettled(builders.map(run));
  const failed = built.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const skipped = built.flatMap((r) => (r as PromiseFulfilledResult<PostStep[]>).value);
  for (const step of steps.filter((s): s is 'hup' | 'restart' => s === 'hup' || s === 'restart')) {
    // What this process sent, for its own rollback; the journal recorded it already (commit).
    plan.signalled.push(step);
    skipped.push(...(await run(step)));
  }
  return skipped;
}

const journalId = () => randomSuffix();

/** Aliases a passwd user of this host takes first: written, and never read by qmail (issue 12). */
async function logShadowedAliases(ctx: ApplyContext, msg: ConfigApply): Promise<void> {
  if (!ctx.passwdFile) return;
  const lines = await passwdShadowedAliases(ctx.qmailHome, ctx.passwdFile, msg.files.map((f) => f.path)).catch((err: Error) => [`could not check the aliases against ${ctx.passwdFile}: ${err.message}`]);
  for (const line of lines) ctx.log(`revision ${msg.revision}: warning: ${line}`);
}

function hashes(msg: ConfigApply): Record<string, string> {
  return Object.fromEntries(msg.files.map((f) => [f.path, sha256(f.content)]));
}
