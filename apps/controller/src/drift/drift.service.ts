import { Injectable } from '@nestjs/common';
import { AgentEvent, FilesReadAnswerSchema, MAX_DRIFT_FILES_PER_REQUEST, type DriftFilesView, type HostDocument } from '@qfleet/protocol';
import { fieldForPath, importFiles, aliasFileName } from '@qfleet/qmail';
import { AgentRequests } from '../agents/agent-requests.service';
import { ApplyDispatcher } from '../agents/apply-dispatcher.service';
import { HostConfigService } from '../host-config/host-config.service';
import { HostsService } from '../hosts/hosts.service';
import { AuditService } from '../audit/audit.service';
import { Conflict, InvalidInput } from '../errors/errors';
import { boundedPatch } from '../host-config/bounded-diff';
import type { Actor } from '../auth/roles';

/** The two answers to drift (DESIGN.md step 5): adopt the edit into the document, or revert it. */
@Injectable()
export class DriftService {
  constructor(
    private readonly hosts: HostsService,
    private readonly config: HostConfigService,
    private readonly agents: AgentRequests,
    private readonly dispatcher: ApplyDispatcher,
    private readonly audit: AuditService,
  ) {}

  /**
   * The drifted files as the agent reads them now, beside the desired revision's bytes (what a
   * revert writes). Only paths the host shows as drifted are read: they are managed paths under
   * the qmail home, and the agent reads them as it reads for an import (no link followed, text
   * only, at most 1 MiB a file), on whichever replica holds it.
   */
  async files(hostId: string, paths?: string[]): Promise<DriftFilesView> {
    const host = await this.hosts.get(hostId);
    const foreign = (paths ?? []).filter((p) => !host.drift.includes(p));
    if (foreign.length) {
      throw new InvalidInput(
        `not a drifted file of ${host.name}: ${foreign.join(', ')}`,
        foreign.map((p) => ({ path: 'path', message: `${p} is not drifted on this host (drift: ${host.drift.join(', ') || 'none'})` })),
      );
    }
    const wanted = paths ?? host.drift.slice(0, MAX_DRIFT_FILES_PER_REQUEST);
    const base = { desiredRevision: host.desiredRevision, appliedRevision: host.appliedRevision, more: paths ? 0 : host.drift.length - wanted.length };
    if (!wanted.length) return { ...base, files: [] };
    if (!host.connected) throw new Conflict('the host is not connected: its agent must be online to read its files');
    const [answer, rendering] = await Promise.all([
      this.agents.ask(hostId, AgentEvent.filesRead, { paths: wanted }, FilesReadAnswerSchema),
      this.config.renderingAt(hostId, host.desiredRevision),
    ]);
    const desired = new Map((rendering?.files ?? []).map((f) => [f.path, f.content]));
    const skipped = new Map(answer.skipped.map((s) => [s.path, s.reason]));
    const files = wanted.map((path) => {
      const want = desired.get(path) ?? null;
      const onHost = answer.files[path] ?? null;
      const reason = skipped.get(path);
      if (reason !== undefined) return { path, desired: want, onHost: null, skipped: reason };
      return { path, desired: want, onHost, diff: boundedPatch(`qfleet/${path}`, `host/${path}`, want ?? '', onHost ?? '', 3) };
    });
    return { ...base, files };
  }

  /** Re-applies the desired revision, overwriting the edited files. */
  async revert(hostId: string, actor: Actor): Promise<{ revision: number; drift: string[] }> {
    const host = await this.hosts.get(hostId);
    if (!host.connected) throw new Conflict('the host is not connected; its drift is reverted when it reconnects only under the enforce policy');
    await this.audit.record({ actor, action: 'drift.revert', target: `host:${hostId}`, diff: { drift: host.drift } });
    await this.dispatcher.retry(hostId);
    return { revision: host.desiredRevision, drift: host.drift };
  }

  /** Reads the drifted files from the host and takes what they say into the document. */
  async adopt(hostId: string, actor: Actor): Promise<{ revision: number; adopted: string[] }> {
    const host = await this.hosts.get(hostId);
    if (!host.drift.length) throw new Conflict('the host shows no drift to adopt');
    const answer = await this.agents.ask(hostId, AgentEvent.filesRead, {}, FilesReadAnswerSchema);
    // A drifted file the agent would not read (now a link, too large…) has no content to adopt.
    const unread = answer.skipped.filter((s) => host.drift.includes(s.path));
    if (unread.length) throw new Conflict(`cannot adopt ${unread.map((s) => `${s.path} (${s.reason})`).join(', ')}`);
    const onHost = importFiles(answer.files).document;
    const { document } = await this.config.get(hostId);
    const next: HostDocument = { ...document };
    const set = (field: keyof HostDocument) => {
      (next as Record<string, unknown>)[field] = onHost[field] === undefined ? null : onHost[field];
    };
    for (const path of host.drift) {
      const field = fieldForPath(path);
      if (field) set(field.field as keyof HostDocument);
      else if (path === 'control/virtualdomains') set('virtualdomains');
      else if (path === 'control/smtproutes') set('smtproutes');
      else if (path === 'users/assign') set('assignments');
      else if (path.startsWith('alias/')) next.aliases = adoptAlias(next, onHost, path);
    }
    // The host's bytes are kept where they mean what the new document says, and the operator
    // has decided on the drift: the revision goes out even over it.
    const written = await this.config.put(hostId, next, actor, 'drift.adopt', { hostFiles: answer.files, overwriteDrift: true });
    return { revision: written.revision, adopted: host.drift };
  }
}

/** One drifted alias file: the host's version of that alias replaces ours, or it goes if the file went. */
function adoptAlias(current: HostDocument, onHost: HostDocument, path: string): HostDocument['aliases'] {
  const file = path.replace(/^alias\/(qfleet\/)?/, '').replace(/^\.qmail-/, '').replace(/\.(autoreply|filter)$/, '');
  const matches = (doc: HostDocument) => (a: NonNullable<HostDocument['aliases']>[number]) => aliasFileName(a, doc) === `alias/.qmail-${file}`;
  const mine = (current.aliases ?? []).filter((a) => !matches(current)(a));
  const theirs = (onHost.aliases ?? []).filter(matches(onHost));
  return [...mine, ...theirs];
}
