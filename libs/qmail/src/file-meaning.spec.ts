import { compareHostFile } from './file-meaning';
import { importFiles } from './import';
import { renderDocument } from './render';
import { readFixtureTree } from './test-fixtures';

describe('compareHostFile', () => {
  const ctx = { doc: { envnoathost: 'example.com' } };

  it('keeps a file that differs only in what qmail ignores, and says what a rewrite would change', () => {
    const r = compareHostFile('control/locals', '# ours\nExample.COM\n\nexample.net \nexample.com\n', 'example.com\nexample.net\n', ctx);
    expect(r).toEqual({ same: 'meaning', rewrite: expect.stringMatching(/^rewrite: /) });
    const rewrite = (r as { rewrite: string }).rewrite;
    for (const why of ['comments would be dropped', 'blank lines would be dropped', 'trailing blanks would be dropped', 'case would change', 'repeated entries would be dropped']) expect(rewrite).toContain(why);
  });

  it('reads integers and single lines as qmail does', () => {
    expect(compareHostFile('control/concurrencyremote', '255 # tuned\n', '255\n', ctx)).toMatchObject({ same: 'meaning' });
    expect(compareHostFile('control/queuelifetime', '604800', '604800\n', ctx)).toEqual({ same: 'meaning', rewrite: 'rewrite: a final newline would be added' });
    expect(compareHostFile('control/me', 'mail.example.com\nold.example.com\n', 'mail.example.com\n', ctx)).toMatchObject({ same: 'meaning', rewrite: expect.stringContaining('lines after the first') });
    expect(compareHostFile('control/concurrencyremote', '20\n', '255\n', ctx)).toEqual({ same: false, why: 'meaning differs: the host has 20, the document 255' });
  });

  it('names the entries a list would gain or lose', () => {
    expect(compareHostFile('control/rcpthosts', 'a.example\n', 'a.example\nb.example\n', ctx)).toEqual({ same: false, why: 'meaning differs: adds b.example' });
  });

  it("takes an alias forward without '&' and unqualified as the same forward", () => {
    const r = compareHostFile('alias/.qmail-postmaster', '# the admin\ndave\n', '&dave@example.com\n', ctx);
    expect(r).toMatchObject({ same: 'meaning', rewrite: expect.stringContaining("'&' would be added") });
    expect(compareHostFile('alias/.qmail-postmaster', 'dave\n', '&eve@example.com\n', ctx)).toMatchObject({ same: false });
  });

  it('a colon map: the later of two equal keys wins, keys in any case', () => {
    expect(compareHostFile('control/virtualdomains', 'Example.ORG:old\nexample.org:example\n', 'example.org:example\n', ctx)).toMatchObject({ same: 'meaning' });
    expect(compareHostFile('control/virtualdomains', 'example.org:example\n', 'example.org:other\n', ctx)).toMatchObject({ same: false });
  });

  it('every file the LWQ tree imports to renders back to a file of the same meaning', () => {
    const tree = readFixtureTree('lwq');
    const { document } = importFiles(tree);
    const rendered = renderDocument(document);
    const renderedFiles = new Map(rendered.files.map((f) => [f.path, f.content]));
    const outcomes = rendered.files.map((f) => {
      const onHost = tree[f.path];
      if (onHost === undefined) return [f.path, 'absent'];
      const c = compareHostFile(f.path, onHost, f.content, { doc: document, hostFile: (p) => tree[p], renderedFile: (p) => renderedFiles.get(p) });
      return [f.path, c.same === false ? c.why : c.same];
    });
    expect(outcomes.filter(([, o]) => o !== 'bytes' && o !== 'meaning')).toEqual([]);
    expect(outcomes.some(([, o]) => o === 'meaning')).toBe(true);
  });
});
