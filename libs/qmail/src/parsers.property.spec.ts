import fc from 'fast-check';
import { UnrenderableValue, controlLines, parseColonMap, parseControlFile, parseInteger, parseLine, parseList } from './control';
import { FIELD_TABLE } from './fields';
import { parseDotQmail } from './dot-qmail';
import { parseAssign } from './assign';
import { parseVirtualDomains } from './virtualdomains';
import { parseSmtpRoutes } from './smtproutes';
import { parseAliasFile } from './alias-import';
import { importFiles } from './import';
import { parseId, parseInfo, parseRecipients } from './queue/records';
import { QueueUnreadable } from './queue/types';
import { MboxScanner, parseFromLine, scanMbox, unquoteMboxrd, type ScannedMessage } from './mailbox/mbox';
import { folderDir, parseMaildirName } from './mailbox/maildir';
import { parseMessage, splitHeaderLine } from './mailbox/message';
import { InvalidFolderName } from './mailbox/errors';

/**
 * Every parser of libs/qmail reads text or bytes that come from the mail host, where a local
 * user may have written them (issue 10). For any input, NUL, CR, LF and very long lines
 * included, each returns or throws one of the module's own errors: never a TypeError, a
 * RangeError or a stack overflow. Linear time is shown by `npm run bench:validate` (n and 10n).
 */

const OWN_ERRORS = [UnrenderableValue, QueueUnreadable, InvalidFolderName];

function returnsOrOwnError(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!OWN_ERRORS.some((E) => e instanceof E)) throw e;
  }
}

/** Pieces qmail's formats care about, so the inputs hit the parsers' branches, not only garbage. */
const PIECES = ['\0', '\r', '\n', '\r\n', ' ', '\t', ':', '#', '.', '..', '@', '&', '|', '/', './', '-', '+', '=', 'a', 'Z', '9', 'From ', '>', '\n\n', 'T', 'D', 'F', ':2,', 'default', 'qfleet/bin/qfleet-autoreply qfleet/x.autoreply', '{', '"'];
const structured = fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 200 });
const text = fc.oneof(structured, fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }));

/** A line of up to 200,000 repeated characters between two short texts: what a regex retries on. */
const huge = fc
  .tuple(structured, fc.constantFrom(' ', '\t', 'a', ':', '>', '.', '-', '@', '#'), fc.integer({ min: 50_000, max: 200_000 }), structured)
  .map(([a, c, n, b]) => `${a}${c.repeat(n)}${b}`);

/** Up to 60,000 short lines: what a spread into a call's arguments overflows on. */
const many = fc.tuple(fc.string({ unit: fc.constantFrom(...PIECES), minLength: 1, maxLength: 12 }), fc.integer({ min: 20_000, max: 60_000 })).map(([line, n]) => `${line}\n`.repeat(n));

const anyText = fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: huge }, { weight: 1, arbitrary: many });
const bytes = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)), anyText.map((s) => Buffer.from(s, 'latin1')));

const RUNS = { numRuns: 100 };

describe('parsers return or throw their own errors, for any input', () => {
  it('control files: parseLine, parseInteger, parseList, controlLines, parseColonMap, every field', () => {
    const field = fc.constantFrom(...FIELD_TABLE.map((s) => s.field));
    fc.assert(
      fc.property(anyText, field, (s, f) => {
        returnsOrOwnError(() => parseLine(s));
        returnsOrOwnError(() => parseInteger(s));
        returnsOrOwnError(() => parseList(s));
        returnsOrOwnError(() => controlLines(s));
        returnsOrOwnError(() => parseColonMap(s));
        returnsOrOwnError(() => parseControlFile(f, s));
      }),
      RUNS,
    );
  });

  it('parseLine keeps what qmail keeps: the first line without its trailing blanks', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        // Reversed, so the reference's regular expression is anchored (`[ \t]+$` is itself quadratic).
        const reverse = (t: string) => [...t].reverse().join('');
        const first = s.split('\n')[0] as string;
        expect(parseLine(s)).toBe(reverse(reverse(first).replace(/^[ \t]+/, '')));
      }),
      { numRuns: 100 },
    );
  });

  it('.qmail files, with any companion data', () => {
    fc.assert(
      fc.property(anyText, fc.option(text, { nil: undefined }), (s, data) => {
        returnsOrOwnError(() => parseDotQmail(s, () => data));
        returnsOrOwnError(() => parseAliasFile('sales', s, { companion: () => data, doc: { virtualdomains: [{ match: 'example.com', prefix: 'example' }] } }));
      }),
      RUNS,
    );
  });

  it('users/assign, virtualdomains, smtproutes', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        returnsOrOwnError(() => parseAssign(s));
        returnsOrOwnError(() => parseAssign(`${s}\n.\n`));
        returnsOrOwnError(() => parseVirtualDomains(s));
        returnsOrOwnError(() => parseSmtpRoutes(s));
      }),
      RUNS,
    );
  });

  it('a whole import of a host', () => {
    const path = fc.constantFrom('control/me', 'control/locals', 'control/rcpthosts', 'control/databytes', 'control/virtualdomains', 'control/smtproutes', 'users/assign', 'alias/.qmail-sales', 'alias/.qmail-default', 'alias/qfleet/sales.autoreply', 'alias/.qmail-x-default');
    fc.assert(fc.property(fc.dictionary(path, anyText, { maxKeys: 6 }), (files) => returnsOrOwnError(() => importFiles(files))), { numRuns: 100 });
  });

  it('queue files: info, local/remote records, ids', () => {
    fc.assert(
      fc.property(bytes, anyText, (b, name) => {
        returnsOrOwnError(() => parseInfo(b));
        returnsOrOwnError(() => parseRecipients(b, 'local'));
        returnsOrOwnError(() => parseRecipients(b, 'remote'));
        returnsOrOwnError(() => parseId(name));
      }),
      RUNS,
    );
  });

  it('mboxes: the scan, the From_ line, mboxrd unquoting', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        returnsOrOwnError(() => scanMbox(b, { collect: true }));
        returnsOrOwnError(() => unquoteMboxrd(b));
        returnsOrOwnError(() => parseFromLine(b.toString('latin1')));
      }),
      RUNS,
    );
  });

  it('an mbox fed in chunks of any size reads as the whole', () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }), (b, sizes) => {
        const chunked: ScannedMessage[] = [];
        const scanner = new MboxScanner((m) => chunked.push(m), { collect: true });
        for (let at = 0, i = 0; at < b.length; i++) {
          const n = sizes[i % sizes.length] as number;
          scanner.feed(b.subarray(at, at + n));
          at += n;
        }
        scanner.end();
        expect(chunked).toEqual(scanMbox(b, { collect: true }));
      }),
      RUNS,
    );
  });

  it('Maildir names, folders and header lines', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        returnsOrOwnError(() => parseMaildirName(s));
        returnsOrOwnError(() => folderDir(s));
        returnsOrOwnError(() => splitHeaderLine(s));
      }),
      RUNS,
    );
  });

  // The bench (npm run bench:validate) found parseDotQmail overflowing the stack on 100,000 comments.
  it('a .qmail file of 150,000 comment lines', () => {
    expect(parseDotQmail(`&a@b.example\n${'#\n'.repeat(150_000)}`).dropped).toHaveLength(150_000);
  });

  // The bench found importFiles quadratic in noted lines (20,000 comments: 15 s).
  it('an import of 100,000 comment lines gives one short note', () => {
    const { notes } = importFiles({ 'control/locals': `a.example\n${'#\n'.repeat(100_000)}` });
    expect(notes.filter((n) => n.message.endsWith('comment dropped'))).toEqual([{ path: 'control/locals', message: expect.stringMatching(/^lines 2, 3, .* and 99980 more: comment dropped$/) }]);
    expect(Math.max(...notes.map((n) => n.message.length))).toBeLessThan(500);
  });

  // Small inputs only: mailparser rejects a header over its limit with a plain Error ("Max header
  // size for a MIME node exceeded"), not a typed error: noticed, left to the mailbox code.
  it('messages (mailparser) resolve for any small bytes', async () => {
    const small = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)), text.map((s) => Buffer.from(s, 'latin1')));
    await fc.assert(fc.asyncProperty(small, async (b) => void (await parseMessage(b))), { numRuns: 50 });
  });
});
