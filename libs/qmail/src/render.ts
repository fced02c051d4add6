import type { HostDocument } from '@qfleet/protocol';
import { renderControlFile } from './control';
import { FIELD_TABLE } from './fields';
import { GENERATED_BY } from './post-steps';

export interface RenderedFile {
  /** relative to the qmail home, e.g. `control/locals` */
  path: string;
  content: string;
  mode: number;
}

export interface RenderedSet {
  files: RenderedFile[];
  removes: string[];
}

/** QMAIL.md §0: control files must be readable by every qmail user; unreadable is an error. */
export const FILE_MODE = 0o644;

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
 * appears nowhere; `null` removes the file, so qmail's default applies. Fields outside this
 * slice (aliases, assignments, virtualdomains, smtproutes) are left for their own renderers.
 */
export function renderDocument(doc: HostDocument): RenderedSet {
  const files: RenderedFile[] = [];
  const removes: string[] = [];
  for (const spec of FIELD_TABLE) {
    const value = doc[spec.field];
    if (value === undefined) continue;
    if (value === null) {
      // QMAIL.md §1: a morercpthosts.cdb left behind stays in force without its source.
      removes.push(spec.path, ...generatedFrom(spec.path));
      continue;
    }
    files.push({ path: spec.path, content: renderControlFile(spec.field, value), mode: FILE_MODE });
  }
  files.sort((a, b) => byPath(a.path, b.path));
  removes.sort(byPath);
  return { files, removes };
}
