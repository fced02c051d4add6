import { Injectable } from '@nestjs/common';
import { AgentEvent, describeProblems, FilesReadAnswerSchema, HostDocumentSchema, parsePayload, type ImportResult } from '@qfleet/protocol';
import { importFiles, validateDocument } from '@qfleet/qmail';
import { AgentRequests } from '../agents/agent-requests.service';
import { HostConfigService } from '../host-config/host-config.service';
import { InvalidInput } from '../errors/errors';
import type { Actor } from '../auth/roles';


/**
 * Import adopts an existing server: the agent sends its files, libs/qmail reads them by
 * qmail's own rules, and the result becomes the host's document. What cannot be modelled
 * is reported and left untouched (it stays unmanaged).
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly agents: AgentRequests,
    private readonly config: HostConfigService,
  ) {}

  async importHost(hostId: string, actor: Actor, opts: { dryRun: boolean }): Promise<ImportResult> {
    await this.config.get(hostId); // 404 for an unknown host before asking any agent
    const answer = await this.agents.ask(hostId, AgentEvent.filesRead, {}, FilesReadAnswerSchema);
    const imported = importFiles(answer.files);
    const unmodelled = [...imported.unmodelled, ...answer.skipped];
    const parsed = parsePayload(HostDocumentSchema, imported.document);
    if (!parsed.ok) throw new InvalidInput(`the host's files cannot be imported: ${describeProblems(parsed.problems)}`, parsed.problems);
    const { errors, warnings } = validateDocument(parsed.value);
    if (errors.length) throw new InvalidInput(`the host's files hold what qfleet refuses: ${describeProblems(errors)}`, errors);
    if (opts.dryRun) return { document: parsed.value, revision: null, unmodelled, notes: imported.notes, warnings };
    const written = await this.config.put(hostId, parsed.value, actor, 'config.import');
    return { document: parsed.value, revision: written.revision, unmodelled, notes: imported.notes, warnings: written.warnings };
  }
}
