import type { PostStep } from '@qfleet/protocol';
import { FIELD_TABLE } from './fields';

/**
 * Files that a post-step builds from a managed source (QMAIL.md §1 qmail-newmrh, §2
 * qmail-newu). The agent never writes them itself, but backs them up and restores them on
 * rollback, and removes them with their source.
 */
export const GENERATED_BY: Record<string, { source: string; step: PostStep }> = {
  'control/morercpthosts.cdb': { source: 'control/morercpthosts', step: 'qmail-newmrh' },
  'users/cdb': { source: 'users/assign', step: 'qmail-newu' },
};

/** Managed files outside the control-field table and what a change to them needs (QMAIL.md §5). */
const OTHER_STEPS: Record<string, PostStep> = {
  'control/virtualdomains': 'hup',
  // Not a document field, but LWQ's rc reads it at start (QMAIL.md §1, §5).
  'control/defaultdelivery': 'restart',
  'users/assign': 'qmail-newu',
};

const STEP_OF = new Map<string, PostStep>([
  ...FIELD_TABLE.flatMap((s): [string, PostStep][] => (s.postStep ? [[s.path, s.postStep]] : [])),
  ...Object.entries(OTHER_STEPS),
]);

/** The step that a change to one file needs, or null when qmail picks it up by itself. */
export function postStepFor(path: string): PostStep | null {
  return STEP_OF.get(path) ?? null;
}

/**
 * The post-steps for a set of changed files, each at most once, in the order the agent runs
 * them: the cdb builders first, then qmail-send. A restart rereads everything a HUP would, so
 * a HUP is dropped when a restart is due (QMAIL.md §5).
 *
 * `removedPaths` are the changed files that were removed rather than written. A builder whose
 * source was removed is not run: `qmail-newmrh` exits 111 without `morercpthosts`
 * (QMAIL.md §1), and its output is removed with the source (see GENERATED_BY).
 */
export function postStepsFor(changedPaths: readonly string[], removedPaths: readonly string[] = []): PostStep[] {
  const removed = new Set(removedPaths);
  const builderSourceGone = (step: PostStep) =>
    Object.values(GENERATED_BY).some((g) => g.step === step && removed.has(g.source));
  const needed = new Set<PostStep>();
  for (const path of changedPaths) {
    const step = postStepFor(path);
    if (step) needed.add(step);
  }
  const steps: PostStep[] = [];
  for (const builder of ['qmail-newmrh', 'qmail-newu'] as const) {
    if (needed.has(builder) && !builderSourceGone(builder)) steps.push(builder);
  }
  if (needed.has('restart')) steps.push('restart');
  else if (needed.has('hup')) steps.push('hup');
  return steps;
}
