import {
  UnrenderableValue,
  lowerAscii,
  parseControlFile,
  parseInteger,
  parseLine,
  parseList,
  renderControlFile,
  renderInteger,
  renderLine,
  renderList,
} from './control';
import { UnknownField } from './fields';

describe('single-line control files (QMAIL.md §0)', () => {
  it('reads only the first line', () => {
    expect(parseLine('mail.example.com\nignored\n')).toBe('mail.example.com');
  });

  it('strips trailing spaces and tabs but keeps leading whitespace', () => {
    expect(parseLine('  mail.example.com \t\n')).toBe('  mail.example.com');
  });

  it('keeps a carriage return, which control.c does not strip', () => {
    expect(parseLine('mail.example.com\r\n')).toBe('mail.example.com\r');
  });

  it('reads a file without a final newline', () => {
    expect(parseLine('mail.example.com')).toBe('mail.example.com');
  });

  it('reads an empty file as an empty value', () => {
    expect(parseLine('')).toBe('');
  });

  it('renders the value and one newline', () => {
    expect(renderLine('mail.example.com')).toBe('mail.example.com\n');
  });

  it.each([
    ['a newline', 'a\nb'],
    ['a carriage return', 'a\rb'],
    ['a NUL', 'a\0b'],
    ['trailing whitespace', 'a '],
    ['leading whitespace', ' a'],
    ['nothing', ''],
  ])('refuses to render a value with %s', (_what, value) => {
    expect(() => renderLine(value, 'me')).toThrow(UnrenderableValue);
  });
});

describe('integer control files (QMAIL.md §0, scan_ulong)', () => {
  it('reads the leading digits of the first line', () => {
    expect(parseInteger('20\n')).toBe(20);
    expect(parseInteger('20abc\n')).toBe(20);
    expect(parseInteger('7\n99\n')).toBe(7);
  });

  it.each([' 20\n', 'abc\n', '\n', '', '-5\n'])('treats %j as a missing file', (content) => {
    expect(parseInteger(content)).toBeUndefined();
  });

  it('renders bare decimal and one newline', () => {
    expect(renderInteger(0)).toBe('0\n');
    expect(renderInteger(604800)).toBe('604800\n');
  });

  it.each([-1, 1.5, Number.NaN])('refuses to render %p', (n) => {
    expect(() => renderInteger(n, 'databytes')).toThrow(UnrenderableValue);
  });
});

describe('list control files (QMAIL.md §0)', () => {
  it('skips comment lines and blank lines and strips trailing whitespace', () => {
    const file = '# local domains\nexample.com  \n\n   \n\t\n#example.net\nexample.org\t\n';
    expect(parseList(file)).toEqual(['example.com', 'example.org']);
  });

  it('keeps leading whitespace, so an indented # is an entry, not a comment', () => {
    expect(parseList(' #x\n  example.com\n')).toEqual([' #x', '  example.com']);
  });

  it('reads a last line without a newline', () => {
    expect(parseList('a.example\nb.example')).toEqual(['a.example', 'b.example']);
  });

  it('reads an empty file as an empty list', () => {
    expect(parseList('')).toEqual([]);
  });

  it('renders one entry per line with a final newline and no header', () => {
    expect(renderList(['example.com', 'example.net'])).toBe('example.com\nexample.net\n');
  });

  it('renders an empty list as an empty file', () => {
    expect(renderList([])).toBe('');
  });

  it('drops duplicates, keeping the first, case-insensitively as qmail matches', () => {
    expect(renderList(['b.example', 'a.example', 'B.Example', 'a.example'])).toBe('b.example\na.example\n');
  });

  it('lowercases entries', () => {
    expect(renderList(['Example.COM'])).toBe('example.com\n');
  });

  it('lowercases ASCII only, leaving other letters as qmail compares them', () => {
    expect(lowerAscii('ÄB.example')).toBe('Äb.example');
  });

  it('refuses an entry qmail would read as a comment, naming it', () => {
    expect(() => renderList(['a.example', '#b.example'], 'locals')).toThrow('locals[1]');
  });

  it('refuses an entry qmail would split or trim', () => {
    expect(() => renderList(['a.example\nb.example'], 'locals')).toThrow(UnrenderableValue);
    expect(() => renderList(['a.example '], 'locals')).toThrow(UnrenderableValue);
  });
});

describe('parseControlFile', () => {
  it('reads each field by its kind', () => {
    expect(parseControlFile('me', 'mail.example.com\n')).toBe('mail.example.com');
    expect(parseControlFile('databytes', '0\n')).toBe(0);
    expect(parseControlFile('timeoutsmtpd', 'soon\n')).toBeUndefined();
    expect(parseControlFile('locals', '#\nexample.com\n')).toEqual(['example.com']);
  });

  it('refuses a name that is not a control field', () => {
    expect(() => parseControlFile('aliases', '')).toThrow(UnknownField);
  });

  it('renders each field by its kind and refuses a value of the wrong kind', () => {
    expect(renderControlFile('me', 'a.example')).toBe('a.example\n');
    expect(renderControlFile('databytes', 5)).toBe('5\n');
    expect(renderControlFile('locals', ['a.example'])).toBe('a.example\n');
    expect(() => renderControlFile('databytes', '5')).toThrow(UnrenderableValue);
  });
});
