import fc from 'fast-check';
import { HostDocumentSchema, MAX_FILE_NAME_LENGTH, fieldProblems, relativePath, type Alias, type HostDocument } from '@qfleet/protocol';
import { isManagedPath } from './namespace';
import { renderDocument } from './render';
import { validateDocument } from './validate';

/**
 * Issue 10 #10: a 5,000-character alias name was accepted, the agent refused the revision
 * (name > 255) and every later one. The API must refuse whatever the agent would refuse.
 */
const alias = (name: string, domain?: string, extra: Alias['destinations'] = []): Alias => ({
  name,
  ...(domain === undefined ? {} : { domain }),
  destinations: [{ kind: 'maildir', value: './Maildir/' }, ...extra],
});
const autoreply: Alias['destinations'][number] = { kind: 'autoreply', autoreply: { subject: 'away', body: 'back soon', periodSec: 3600 } };

/** What a PUT answers: the schema's problems, or else validateDocument's errors. */
const errorsOf = (doc: HostDocument) => {
  const parsed = HostDocumentSchema.safeParse(doc);
  return parsed.success ? validateDocument(parsed.data).errors : fieldProblems(parsed.error);
};

describe('alias file names and the agent limit', () => {
  it('refuses a 5,000-character alias name, naming the field', () => {
    expect(errorsOf({ aliases: [alias('a'.repeat(5000))] })).toEqual([{ path: 'aliases[0].name', message: 'must be at most 4096 characters' }]);
    expect(errorsOf({ aliases: [alias('a'.repeat(4000))] })).toEqual([
      { path: 'aliases[0].name', message: expect.stringContaining(`4007 characters long; at most ${MAX_FILE_NAME_LENGTH}`) },
    ]);
  });

  it('counts .qmail- in: 248 characters fit, 249 do not', () => {
    expect(errorsOf({ aliases: [alias('a'.repeat(248))] })).toEqual([]);
    expect(errorsOf({ aliases: [alias('a'.repeat(249))] }).map((e) => e.path)).toEqual(['aliases[0].name']);
  });

  it("counts the autoreply data file and the virtual domain's prefix in", () => {
    expect(errorsOf({ aliases: [alias('a'.repeat(246), undefined, [autoreply])] }).map((e) => e.path)).toEqual(['aliases[0].name']);
    const virtual: HostDocument = { virtualdomains: [{ match: 'example.com', prefix: 'p'.repeat(40) }], aliases: [alias('a'.repeat(220), 'example.com')] };
    expect(errorsOf(virtual)).toEqual([{ path: 'aliases[0].name', message: expect.stringContaining("virtualdomains prefix; at most 255") }]);
  });

  it('renders only paths the agent accepts for every alias the API accepts', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,300}$/);
    fc.assert(
      fc.property(name, fc.option(fc.stringMatching(/^[a-z]{1,60}$/), { nil: undefined }), fc.boolean(), (n, prefix, withReply) => {
        const doc = HostDocumentSchema.parse({
          ...(prefix ? { virtualdomains: [{ match: 'example.com', prefix }] } : {}),
          aliases: [alias(n, prefix ? 'example.com' : undefined, withReply ? [autoreply] : [])],
        });
        if (validateDocument(doc).errors.length) return;
        for (const f of renderDocument(doc).files) {
          expect(relativePath.safeParse(f.path).success).toBe(true);
          expect(isManagedPath(f.path)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
