import { applyChangeToLayer, fieldsTakenOver, unmanageAgain } from './change';
import { mergeLayers } from './merge';
import type { Layer } from './schema';

const group: Layer = { locals: ['eu.example', 'old.example'], rcpthosts: ['eu.example'], aliases: [{ name: 'postmaster', destinations: [{ kind: 'forward', value: 'ops@corp.example' }] }] };
const effective = (own: Layer) =>
  mergeLayers([
    { source: 'group:eu', document: group },
    { source: 'host', document: own },
  ]).document;

describe('applyChangeToLayer', () => {
  it('adds to the host layer and the groups still layer under it', () => {
    const own = applyChangeToLayer({ locals: ['h.example'] }, { add: { locals: ['new.example'], rcpthosts: ['new.example'] } }, [group]);
    expect(own).toEqual({ locals: ['h.example', 'new.example'], rcpthosts: ['new.example'] });
    expect(effective(own).locals).toEqual(['eu.example', 'old.example', 'h.example', 'new.example']);
    expect(effective(own).rcpthosts).toEqual(['eu.example', 'new.example']);
  });

  it('keeps the layer’s own removals and records the removal of a group’s entry', () => {
    const own = applyChangeToLayer({ locals: ['h.example'], remove: { rcpthosts: ['eu.example'] } }, { remove: { locals: ['old.example', 'h.example'] } }, [group]);
    expect(own).toEqual({ locals: [], remove: { rcpthosts: ['eu.example'], locals: ['old.example'] } });
    expect(effective(own).locals).toEqual(['eu.example']);
    expect(effective(own).rcpthosts).toEqual([]);
  });

  it('an add takes back the layer’s removal of the same entry', () => {
    const own = applyChangeToLayer({ remove: { locals: ['OLD.example'] } }, { add: { locals: ['old.example'] } }, [group]);
    expect(own).toEqual({ locals: ['old.example'] });
    expect(effective(own).locals).toEqual(['eu.example', 'old.example']);
  });

  it('sets scalars and replaces keyed entries in place', () => {
    const own = applyChangeToLayer(
      { databytes: 1, aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'a@x.example' }] }] },
      { set: { databytes: 2 }, add: { aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'b@x.example' }] }] } },
      [],
    );
    expect(own).toEqual({ databytes: 2, aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'b@x.example' }] }] });
  });
});

describe('fieldsTakenOver', () => {
  it('names one-file lists the change would start managing, never aliases', () => {
    const change = { add: { locals: ['n.example'], smtproutes: [{ domain: 'x.example', relay: 'relay.example' }], aliases: [{ name: 'sales', destinations: [{ kind: 'forward' as const, value: 'a@b.example' }] }] } };
    expect(fieldsTakenOver({ locals: ['a.example'] }, change)).toEqual(['smtproutes']);
    expect(fieldsTakenOver({ locals: null, smtproutes: [] }, change)).toEqual([]);
  });

  it('names a control file the change sets when the host has it and the document does not manage it', () => {
    const change = { set: { databytes: 1000, me: 'mx.example' } };
    expect(fieldsTakenOver({}, change, { 'control/databytes': 'abc' })).toEqual(['databytes']);
    expect(fieldsTakenOver({ databytes: 5 }, change, { 'control/databytes': 'abc', 'control/me': 'def' })).toEqual(['me']);
    expect(fieldsTakenOver({}, change, {})).toEqual([]);
  });
});

describe('unmanageAgain', () => {
  it('removes again what a rollout started managing, and only that', () => {
    expect(unmanageAgain({ locals: ['a.example'] }, { locals: ['a.example', 'b.example'], databytes: 5, aliases: [] })).toEqual({ databytes: null, aliases: [] });
    expect(unmanageAgain({ databytes: 1 }, { databytes: 5 })).toEqual({});
  });
});
