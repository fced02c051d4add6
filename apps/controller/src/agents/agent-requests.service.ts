import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { AgentEvent, FilesReadAnswerSchema, answerSchema, describeProblems, parsePayload, type FilesReadAnswer } from '@qfleet/protocol';
import { AgentFailed, Conflict, InvalidInput, NotFound } from '../errors/errors';
import { AgentSessions } from './agent-sessions';

const REQUEST_TIMEOUT_MS = 30_000;

/** Questions the controller asks one connected agent, answered through socket.io acknowledgements. */
@Injectable()
export class AgentRequests {
  constructor(private readonly sessions: AgentSessions) {}

  async readFiles(hostId: string, paths?: string[]): Promise<FilesReadAnswer> {
    const socket = this.sessions.get(hostId);
    if (!socket) throw new Conflict('the host is not connected: its agent must be online to read its files');
    let raw: unknown;
    try {
      raw = await socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck(AgentEvent.filesRead, paths ? { paths } : {});
    } catch {
      throw new Conflict(`the agent did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
    }
    const parsed = parsePayload(FilesReadAnswerSchema, raw);
    if (!parsed.ok) throw new Conflict(`the agent's answer was malformed: ${describeProblems(parsed.problems)}`);
    return parsed.value;
  }

  /**
   * One request of libs/protocol's AgentRequest, its answer checked against the result
   * schema; the agent's error codes map to HTTP (not_found 404, invalid 400, unavailable 409).
   */
  async ask<T extends z.ZodType>(hostId: string, event: string, payload: unknown, result: T, timeoutMs = REQUEST_TIMEOUT_MS): Promise<z.infer<T>> {
    const socket = this.sessions.get(hostId);
    if (!socket) throw new Conflict('the host is not connected: its agent must be online for this');
    let raw: unknown;
    try {
      raw = await socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch {
      throw new Conflict(`the agent did not answer ${event} within ${Math.round(timeoutMs / 1000)} s`);
    }
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
}
