import { InvalidFolderName } from './errors';

/**
 * Maildir names (QMAIL.md §6). qmail-local delivers `tmp/<time>.<pid>.<host>` and links it into
 * `new/`; readers rename it to `cur/<unique>:2,<FLAGS>`. Maildir++ (not qmail) adds `.Name/`
 * folders and `,S=<size>` names. Pure: no file access here.
 */

/** One message file of a Maildir, as listed. */
export interface MaildirMessage {
  /** The unique part of the file name: everything before `:2,` (any `,S=` stays in it). */
  id: string;
  /** `''` for the Maildir itself, `Name` for the Maildir++ folder `.Name/`. */
  folder: string;
  /** Path relative to the Maildir: `new/X`, `cur/X:2,S`, `.Sent/cur/…`. */
  path: string;
  size: number;
  /** The file's mtime, which qmail-local leaves at the delivery time. */
  mtime: Date;
  /** The `:2,` flags, ASCII-ordered letters (D F P R S T); `''` for none or for `new/`. */
  flags: string;
  /** Still in `new/`: no reader has seen it. */
  isNew: boolean;
}

/** `1700000000.123.host:2,RS` → id `1700000000.123.host`, flags `RS`. Experimental `:1,` info is kept in the id. */
export function parseMaildirName(name: string): { id: string; flags: string } {
  const info = name.lastIndexOf(':2,');
  if (info === -1) return { id: name, flags: '' };
  return { id: name.slice(0, info), flags: name.slice(info + 3) };
}

/** Readers skip names starting with `.` (QMAIL.md §6). */
export function isMessageName(name: string): boolean {
  return name !== '' && !name.startsWith('.');
}

/** The directory of a folder, relative to the Maildir: `''` → `''`, `Sent` → `.Sent`. */
export function folderDir(folder: string): string {
  if (folder === '') return '';
  if (folder.includes('/') || folder.includes('\0') || folder.startsWith('.') || folder === '..') {
    throw new InvalidFolderName(folder);
  }
  return `.${folder}`;
}

/** `.Sent` → `Sent`; `.`/`..` and plain names are not Maildir++ folders. */
export function folderOfDir(name: string): string | null {
  return name.startsWith('.') && name !== '.' && name !== '..' ? name.slice(1) : null;
}

/** Newest first: by delivery time, then by name so the order is stable. */
export function newestFirst<T extends { mtime: Date; path: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => b.mtime.getTime() - a.mtime.getTime() || (a.path < b.path ? 1 : a.path > b.path ? -1 : 0));
}
