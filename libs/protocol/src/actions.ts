import { z } from 'zod';

/**
 * Service actions on qmail-send, run by the agent through its configured service backend
 * (DESIGN.md "The agent: applying safely": fixed commands only, the controller names one of
 * these and never a command). QMAIL.md §5: stop is TERM (can take over a minute), reload is
 * HUP (locals, virtualdomains), flush is qmail-tcpok then ALRM.
 */
export const ACTIONS = ['start', 'stop', 'restart', 'reload', 'flush'] as const;
export const ActionSchema = z.enum(ACTIONS);
export type Action = z.infer<typeof ActionSchema>;

export const ActionRequest = {
  /** controller → agent, with an ack: run one action; answered once it took effect */
  run: 'action.run',
  /** controller → agent, with an ack: whether qmail-send runs, since when, its pid */
  serviceState: 'service.state',
} as const;

/** What the service backend says about qmail-send now. */
export const ServiceStateSchema = z.strictObject({
  /** null when the backend cannot tell (no backend, an init script without a pid file) */
  running: z.boolean().nullable(),
  /** ISO time at which it went up (or down, when not running) */
  since: z.string().datetime().nullable(),
  pid: z.number().int().min(1).nullable(),
  /** the backend's own words, e.g. the svstat line or systemctl's ActiveState */
  detail: z.string(),
});
export type ServiceState = z.infer<typeof ServiceStateSchema>;

export const ActionRunRequestSchema = z.strictObject({ action: ActionSchema });
export type ActionRunRequest = z.infer<typeof ActionRunRequestSchema>;

export const ActionResultSchema = z.strictObject({
  action: ActionSchema,
  ok: z.literal(true),
  /** the state once the action took effect */
  state: ServiceStateSchema,
  /** what was done, in order, e.g. ['svc -t', 'up (pid 4242)'] */
  steps: z.array(z.string()),
});
export type ActionResult = z.infer<typeof ActionResultSchema>;
