import { MAX_FILE_NAME_LENGTH } from '@qfleet/protocol';
import { FIELD_TABLE } from './fields';
import { GENERATED_BY } from './post-steps';

/**
 * The files the agent may write, remove or back up, relative to the qmail home. Everything
 * else under the home (the queue, bin/, LWQ's own alias files unless named) is not ours.
 */
const MANAGED_FILES: ReadonlySet<string> = new Set([
  ...FIELD_TABLE.map((s) => s.path),
  ...Object.keys(GENERATED_BY),
  ...Object.values(GENERATED_BY).map((g) => g.source),
  'control/virtualdomains',
  'control/smtproutes',
]);

/**
 * One path component that is safe as a file name: `.qmail-<name>` extensions use `:` for `.`
 * and `-` as the separator (QMAIL.md §3), and nothing here can climb out of its directory.
 */
const SAFE_NAME = /^[a-z0-9:._-]+$/;

function isSafeName(name: string): boolean {
  // The same NAME_MAX the API checks alias names against (libs/protocol limits).
  return name.length <= MAX_FILE_NAME_LENGTH && SAFE_NAME.test(name) && name !== '.' && name !== '..';
}

/** Never trust a path to stay inside the home: refuse anything that could leave it or alias another. */
function isPlainRelative(path: string): boolean {
  return (
    path.length > 0 &&
    !path.startsWith('/') &&
    !path.includes('..') &&
    !path.includes('//') &&
    !path.includes('\0') &&
    !path.includes('\\')
  );
}

export function isManagedPath(path: string): boolean {
  if (!isPlainRelative(path)) return false;
  if (MANAGED_FILES.has(path)) return true;
  if (path.startsWith('alias/.qmail-')) return isSafeName(path.slice('alias/.qmail-'.length));
  if (path.startsWith('alias/qfleet/')) return isSafeName(path.slice('alias/qfleet/'.length));
  return false;
}
