import type { ApplyContext } from './apply-context';
import { discardJournal, rollBack, type JournalPlan } from './journal';

/**
 * Restores the files of a plan, then repeats any HUP or restart already sent so qmail-send
 * rereads the restored files (DESIGN.md Contract), then drops the journal. If restoring fails
 * the journal stays, and recoverJournal tries again at the next start-up.
 */
export async function undoPlan(ctx: ApplyContext, plan: JournalPlan, why: string): Promise<void> {
  const restored = await rollBack(ctx.qmailHome, ctx.stateDir, plan);
  ctx.log(`revision ${plan.revision} rolled back (${why}): ${restored.length ? `restored ${restored.join(', ')}` : 'nothing had changed'}`);
  for (const step of plan.signalled) {
    try {
      const outcome = await ctx.postSteps.run(step);
      ctx.log(`revision ${plan.revision} rollback: ${step} ${outcome === 'ran' ? 'sent again' : 'skipped'}`);
    } catch (err) {
      ctx.log(`revision ${plan.revision} rollback: ${step} failed: ${(err as Error).message}`);
    }
  }
  await discardJournal(ctx.stateDir);
}
