import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { answerSchema, describeProblems, parsePayload } from '@qfleet/protocol';
import { AgentFailed, Conflict, InvalidInput, NotFound } from '../errors/errors';
import { AgentSessions } from './agent-sessions';
import { AgentFanout } from './agent-fanout';

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Questions the controller asks one connected agent, answered through socket.io
 * acknowledgements, on whichever replica holds the agent.
 */
@Injectable()
export class AgentRequests {
  constructor(
    private readonly sessions: AgentSessions,
    private readonly fanout: AgentFanout,
  ) {}

  /**
   * One request of libs/protocol's AgentRequest (or ActionRequest, files.read), its answer
   * checked against the result schema; the agent's error codes map to HTTP (not_found 404,
   * invalid 400, unavailable 409).
   */
  async ask<T extends z.ZodType>(hostId: string, event: string, payload: unknown, result: T, timeoutMs = REQUEST_TIMEOUT_MS): Promise<z.infer<T>> {
    const raw = await this.emit(hostId, event, payload, timeoutMs);
    const parsed = parsePayload(answerSchema(result), raw);
    if (!parsed.ok) throw new AgentFailed(`the agent's answer to ${event} was malformed: ${describeProblems(parsed.problems)}`);
    const answer = parsed.value as { ok: true; result: z.infer<T> } | { ok: false; error: { code: string; message: string } };
    if (answer.ok) return answer.result;
    const { code, message } = answer.error;
    if (code === 'not_found') throw new NotFound(message);
    if (code === 'invalid') throw new InvalidInput(message);
    if (code === 'unavailable') throw new Conflict(message);
    throw new AgentFailed(message);
  }

  /**
   * The agent's raw answer. An agent connected here is asked directly (no Redis round trip);
   * otherwise the request goes to its host's room through the Redis adapter, which carries
   * the acknowledgement back from the replica holding it.
   */
  private async emit(hostId: string, event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const late = () => new Conflict(`the agent did not answer ${event} within ${Math.round(timeoutMs / 1000)} s`);
    const socket = this.sessions.get(hostId);
    if (socket) {
      try {
        return await socket.timeout(timeoutMs).emitWithAck(event, payload);
      } catch {
        throw late();
      }
    }
    let answers: unknown[];
    try {
      answers = await this.fanout.askHost(hostId, event, payload, timeoutMs);
    } catch {
      throw late();
    }
    // A room holds one agent; two answers only in the instant an agent reconnects elsewhere.
    if (!answers.length) throw new Conflict('the host is not connected: its agent must be online for this');
    return answers[0];
  }
}
