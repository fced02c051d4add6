import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { Inject, InjectResult } from '../inject';

/** A throwaway qmail home whose alias/ is the cwd of a delivery, as qmail-local sets it (QMAIL.md §3). */
export interface AliasHome {
  home: string;
  alias: string;
  /** writes a file relative to alias/ */
  write(rel: string, content: string): Promise<string>;
  read(rel: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeAliasHome(): Promise<AliasHome> {
  const home = await mkdtemp(join(tmpdir(), 'qfleet-delivery-'));
  const alias = join(home, 'alias');
  await mkdir(join(alias, 'qfleet'), { recursive: true });
  return {
    home,
    alias,
    async write(rel, content) {
      const path = join(alias, rel);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      return path;
    },
    read: (rel) => readFile(join(alias, rel), 'utf8'),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** A Maildir made as maildirmake would (QMAIL.md §6: qmail-local cannot create one). */
export async function makeMaildir(dir: string): Promise<void> {
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true });
}

/** The message as qmail-local gives it: a stream on stdin. */
export function messageStream(text: string): Readable {
  return Readable.from([Buffer.from(text)]);
}

/** A message with the given header lines (CRLF-free, as qmail stores mail) and body. */
export function message(headers: string[], body = 'Hello.\n'): string {
  return `${headers.join('\n')}\n\n${body}`;
}

/** The environment qmail-local sets for a `|` line of alias/.qmail-example-sales (QMAIL.md §3). */
export function deliveryEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    SENDER: 'alice@example.org',
    NEWSENDER: 'alice@example.org',
    RECIPIENT: 'example-sales@example.com',
    LOCAL: 'example-sales',
    HOST: 'example.com',
    EXT: 'example-sales',
    DTLINE: 'Delivered-To: example-sales@example.com\n',
    RPLINE: 'Return-Path: <alice@example.org>\n',
    ...overrides,
  };
}

export interface InjectCall {
  args: readonly string[];
  message: string;
}

/** qmail-inject's place in a test: records each call and answers with EXIT_CODE. */
export function recordingInject(exitCode = 0): Inject & { calls: InjectCall[] } {
  const calls: InjectCall[] = [];
  const inject = async (args: readonly string[], msg: Buffer): Promise<InjectResult> => {
    calls.push({ args, message: msg.toString() });
    return { exitCode, stderr: exitCode ? 'qmail-inject: fatal: stand-in failure\n' : '' };
  };
  return Object.assign(inject, { calls });
}

/**
 * A stand-in `<home>/bin/qmail-inject` shell script: appends its arguments, one per line,
 * then `--message--` and stdin to OUT, and exits with EXIT_CODE.
 */
export async function installFakeQmailInject(home: string, out: string, exitCode = 0): Promise<void> {
  const path = join(home, 'bin', 'qmail-inject');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "[$a]" >> '${out}'; done\necho --message-- >> '${out}'\ncat >> '${out}'\nexit ${exitCode}\n`);
  await chmod(path, 0o755);
}
