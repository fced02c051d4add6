import fs from 'node:fs';
import path from 'node:path';
import { AutoreplySchema } from './document';
import { AUTOREPLY_DEFAULT_PERIOD_SEC, CONTROL_FILES, INTEGER_FIELDS, LIST_FIELDS, QMAIL_INTEGER_DEFAULTS, SINGLE_LINE_FIELDS } from './document-fields';

describe('the control files the forms describe', () => {
  it('names every field’s file', () => {
    for (const f of [...SINGLE_LINE_FIELDS, ...INTEGER_FIELDS, ...LIST_FIELDS]) expect(CONTROL_FILES[f].file).toBe(`control/${f}`);
  });

  it('gives the integer defaults docs/document.md states', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/document.md'), 'utf8');
    for (const f of INTEGER_FIELDS) {
      const row = new RegExp(`^\\| \`${f}\` \\|.*\\| (\\d+)(?: \\([^)]*\\))? \\| [^|]+ \\|$`, 'm').exec(doc);
      expect([f, Number(row?.[1])]).toEqual([f, QMAIL_INTEGER_DEFAULTS[f]]);
      expect(CONTROL_FILES[f].whenMissing.startsWith(String(QMAIL_INTEGER_DEFAULTS[f]))).toBe(true);
    }
  });

  it('is the schema’s autoreply period', () => {
    expect(AutoreplySchema.parse({ subject: 'Away', body: '' }).periodSec).toBe(AUTOREPLY_DEFAULT_PERIOD_SEC);
  });
});
