import { INTEGER_FIELDS, LIST_FIELDS, SINGLE_LINE_FIELDS } from '@qfleet/protocol';
import { FIELD_TABLE, UnknownField, fieldFile, fieldForPath, fieldSpec, isControlField } from './fields';

describe('the field table', () => {
  it('has one control file per single-line, integer and list field', () => {
    expect(FIELD_TABLE.map((s) => s.field)).toEqual([...SINGLE_LINE_FIELDS, ...INTEGER_FIELDS, ...LIST_FIELDS]);
    for (const s of FIELD_TABLE) expect(s.path).toBe(`control/${s.field}`);
  });

  it('knows how qmail reads each file', () => {
    expect(fieldSpec('smtpgreeting').kind).toBe('line');
    expect(fieldSpec('queuelifetime').kind).toBe('integer');
    expect(fieldSpec('badmailfrom').kind).toBe('list');
  });

  it('gives the post-step of QMAIL.md §5', () => {
    expect(fieldSpec('locals').postStep).toBe('hup');
    expect(fieldSpec('percenthack').postStep).toBe('restart');
    expect(fieldSpec('me').postStep).toBe('restart');
    expect(fieldSpec('concurrencyremote').postStep).toBe('restart');
    expect(fieldSpec('morercpthosts').postStep).toBe('qmail-newmrh');
    expect(fieldSpec('rcpthosts').postStep).toBeNull();
    expect(fieldSpec('helohost').postStep).toBeNull();
    expect(fieldSpec('databytes').postStep).toBeNull();
  });

  it('maps fields to paths and back', () => {
    expect(fieldFile('locals')).toBe('control/locals');
    expect(fieldForPath('control/databytes')?.field).toBe('databytes');
    expect(fieldForPath('control/morercpthosts.cdb')).toBeUndefined();
    expect(isControlField('aliases')).toBe(false);
    expect(() => fieldFile('aliases')).toThrow(UnknownField);
  });
});
