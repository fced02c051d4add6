/**
 * Imports nothing, so the dashboard's bundle can take these names without zod
 * (`@qfleet/protocol/ui`).
 */

/** The `/ui` namespace (dashboard, CLI watch): authenticated with an API token, read-only. */
export const UI_NAMESPACE = '/ui';
export const UiEvent = {
  /** controller → UI: a rollout moved (RolloutSummary) */
  rolloutProgress: 'rollout.progress',
} as const;

/** The agent's install commands, for the dashboard's "Add host" (imports nothing either). */
export { AGENT_PACKAGE, agentInstallCommands } from './agent-install';

/** The document's fields and qmail's defaults, for the configuration forms (imports nothing either). */
export * from './document-fields';
