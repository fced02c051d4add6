import type { Socket } from 'socket.io-client';
import { ActionRequest, ActionRunRequestSchema, describeProblems, parsePayload } from '@qfleet/protocol';
import { serviceState } from '../post-steps/service-backend';
import { errorOf, type Answer } from '../requests/register';
import { runAction, type ActionContext } from './run-action';

/** Validates, runs and answers one action request; never throws (the same answers as requests/register.ts). */
export async function answerAction(ctx: ActionContext, event: string, payload: unknown): Promise<Answer<unknown>> {
  try {
    if (event === ActionRequest.serviceState) return { ok: true, result: await serviceState(ctx.service) };
    if (event !== ActionRequest.run) return { ok: false, error: { code: 'invalid', message: `unknown request ${event}` } };
    const parsed = parsePayload(ActionRunRequestSchema, payload ?? {});
    if (!parsed.ok) return { ok: false, error: { code: 'invalid', message: describeProblems(parsed.problems) } };
    // Never in the middle of an apply: its post-steps talk to the same qmail-send.
    return { ok: true, result: await ctx.serialize(() => runAction(ctx, parsed.value.action)) };
  } catch (err) {
    const error = errorOf(err);
    ctx.log(`${event} failed (${error.code}): ${error.message}`);
    return { ok: false, error };
  }
}

/** `action.run` and `service.state`, each answered through the acknowledgement. */
export function registerActionHandlers(socket: Pick<Socket, 'on'>, ctx: ActionContext): void {
  for (const event of Object.values(ActionRequest)) {
    socket.on(event, (payload: unknown, ack?: (answer: Answer<unknown>) => void) => {
      if (typeof ack !== 'function') {
        ctx.log(`${event} arrived without an acknowledgement callback; ignored`);
        return;
      }
      void answerAction(ctx, event, payload).then(ack, (err) => ack({ ok: false, error: errorOf(err) }));
    });
  }
}
