import { Injectable } from '@nestjs/common';
import { AgentEvent, describeProblems, FilesReadAnswerSchema, HostDocumentSchema, parsePayload, type ImportFilePlan, type ImportResult } from '@qfleet/protocol';
import { compareHostFile, importFiles, renderDocument, validateDocument } from '@qfleet/qmail';
import { AgentRequests } from '../agents/agent-requests.service';
import { HostConfigService, type PreparedRevision } from '../host-config/host-config.service';
import { InvalidInput } from '../errors/errors';
import type { Actor } from '../auth/roles';

/**
 * Import adopts an existing server: the agent sends its files, libs/qmail reads them by
 * qmail's own rules, and the result becomes the host's document. What cannot be modelled
 * is reported and left untouched (it stays unmanaged). A file whose meaning the document
 * reproduces keeps its bytes (issue 12): the revision carries the host's own content for it,
 * so the apply writes nothing there and runs no post-step.
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
    const revisionOpts = { hostFiles: answer.files };
    const prepared = await this.config.prepareFor(hostId, parsed.value, revisionOpts);
    // With the host's groups the effective document may be refused where the host's own is not.
    if (prepared.errors.length) throw new InvalidInput(`invalid configuration: ${describeProblems(prepared.errors)}`, prepared.errors);
    const files = filePlan(prepared, answer.files);
    if (opts.dryRun) return { document: parsed.value, revision: null, unmodelled, notes: imported.notes, warnings, files };
    const written = await this.config.put(hostId, parsed.value, actor, 'config.import', revisionOpts);
    return { document: parsed.value, revision: written.revision, unmodelled, notes: imported.notes, warnings: written.warnings, files };
  }
}

/** Per managed file that is not already byte for byte what qfleet writes: kept (and what a later rewrite changes), written, or removed. */
function filePlan({ rendering, effective }: PreparedRevision, onHost: Record<string, string>): ImportFilePlan[] {
  // qfleet's own form of each file, which a kept file is compared with.
  const canonical = new Map(renderDocument(effective).files.map((f) => [f.path, f.content]));
  const ctx = { doc: effective, hostFile: (p: string) => onHost[p], renderedFile: (p: string) => canonical.get(p) };
  const plan: ImportFilePlan[] = [];
  for (const f of rendering.files) {
    const host = onHost[f.path];
    const ours = canonical.get(f.path) ?? f.content;
    if (host === undefined) plan.push({ path: f.path, action: 'write', reason: 'not on the host: it would be created' });
    else if (rendering.kept?.[f.path] !== undefined) {
      const c = compareHostFile(f.path, host, ours, ctx);
      plan.push({ path: f.path, action: 'keep', reason: c.same === 'meaning' ? c.rewrite : 'kept as it is' });
    } else if (host !== f.content) {
      const c = compareHostFile(f.path, host, f.content, ctx);
      plan.push({ path: f.path, action: 'write', reason: c.same === false ? c.why : "rewrite in qfleet's form" });
    }
  }
  for (const path of rendering.removes) if (path in onHost) plan.push({ path, action: 'remove', reason: 'the document removes it' });
  return plan;
}
