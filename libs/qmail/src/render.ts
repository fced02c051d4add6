import type { HostDocument } from '@qfleet/protocol';
import { renderControlFile } from './control';
import { FIELD_TABLE } from './fields';
import { GENERATED_BY } from './post-steps';
import { FILE_MODE, type RenderedFile, type RenderedSet } from './rendered';
import { VIRTUALDOMAINS_PATH, renderVirtualDomains } from './virtualdomains';
import { SMTPROUTES_PATH, renderSmtpRoutes } from './smtproutes';
import { ASSIGN_PATH, renderAssign } from './assign';
import { renderAliases } from './aliases';

export { FILE_MODE, type RenderedFile, type RenderedSet } from './rendered';

/** Files that qmail builds from a source and keeps using after the source is gone. */
function generatedFrom(source: string): string[] {
  return Object.entries(GENERATED_BY)
    .filter(([, g]) => g.source === source)
    .map(([path]) => path);
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The managed files of a document (DESIGN.md "Contract"): an absent field is not managed and
 * appears nowhere; `null` removes the file, so qmail's default applies, together with what
 * qmail built from it (GENERATED_BY). `aliases: null` removes nothing here: which alias files
 * exist is known only from the previous revision (see `aliasPaths`).
 */
export function renderDocument(doc: HostDocument): RenderedSet {
  const files: RenderedFile[] = [];
  const removes: string[] = [];
  const remove = (path: string) => {
    // QMAIL.md §1, §2: a morercpthosts.cdb or users/cdb left behind stays in force without its source.
    removes.push(path, ...generatedFrom(path));
  };
  for (const spec of FIELD_TABLE) {
    const value = doc[spec.field];
    if (value === undefined) continue;
    if (value === null) remove(spec.path);
    else files.push({ path: spec.path, content: renderControlFile(spec.field, value), mode: FILE_MODE });
  }
  const put = <T>(path: string, value: T | null | undefined, render: (v: T) => string) => {
    if (value === null) remove(path);
    else if (value !== undefined) files.push({ path, content: render(value), mode: FILE_MODE });
  };
  put(VIRTUALDOMAINS_PATH, doc.virtualdomains, renderVirtualDomains);
  put(SMTPROUTES_PATH, doc.smtproutes, renderSmtpRoutes);
  put(ASSIGN_PATH, doc.assignments, renderAssign);
  if (doc.aliases) for (const f of renderAliases(doc.aliases, doc)) files.push(f);
  files.sort((a, b) => byPath(a.path, b.path));
  removes.sort(byPath);
  return { files, removes };
}
