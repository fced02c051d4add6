/**
 * Imports nothing, so the dashboard's bundle can take these names without zod
 * (`@qfleet/protocol/ui`).
 */

/** The `/ui` namespace (dashboard, CLI watch): authenticated with an API token, read-only. */
export const UI_NAMESPACE = '/ui';
export const UiEvent = {
  /** controller → UI: a rollout moved (RolloutSummary) */
  rolloutProgress: 'rollout.progress',
  /** controller → UI: hosts whose view changed, at most once a second (HostsDelta) */
  hosts: 'hosts',
  /** controller → UI: the fleet's counts when they changed, at most once a second (FleetSummary) */
  fleetSummary: 'fleetSummary',
} as const;

/** The agent's install commands, for the dashboard's "Add host" (imports nothing either). */
export { AGENT_PACKAGE, agentInstallCommands } from './agent-install';

/** The document's fields and qmail's defaults, for the configuration forms (imports nothing either). */
export * from './document-fields';
/** The host states the API filters by, for the dashboard's own views (imports nothing either). */
export * from './host-states';
/** The If-Match precondition of the config writes (imports nothing at run time either). */
export { IF_MATCH, revisionTag } from './preconditions';
