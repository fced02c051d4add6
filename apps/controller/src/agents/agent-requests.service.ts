import { Injectable } from '@nestjs/common';
import { AgentEvent, FilesReadAnswerSchema, describeProblems, parsePayload, type FilesReadAnswer } from '@qfleet/protocol';
import { Conflict } from '../errors/errors';
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
}
