import type { Alias, AliasDestination, Autoreply, Filter, FilterRule } from '@qfleet/protocol';
import { AUTOREPLY_DEFAULT_PERIOD_SEC, DESTINATION_KINDS, FILTER_ACTIONS, FILTER_FIELDS, type DestinationKind } from '@qfleet/protocol/ui';
import { FieldError, useEditable } from './FieldError';
import { Choice, IntegerInput, ManagedField, TextInput, type FieldProps } from './Managed';
import { aliasFile, omit, withField } from './doc';

type FilterTarget = Filter['otherwise'];

/** Webmin's words for each kind of line in an alias's .qmail file (docs/document.md "aliases"). */
const KIND_LABELS: Record<DestinationKind, string> = {
  forward: 'Forward to address',
  maildir: 'Maildir (path ending in /)',
  mbox: 'Mailbox file (mbox)',
  program: 'Feed to program',
  autoreply: 'Autoreply',
  filter: 'Filter',
  discard: 'Discard (throw away)',
};

const PLACEHOLDERS: Partial<Record<DestinationKind, string>> = {
  forward: 'user@example.net',
  maildir: './Maildir/',
  mbox: './Mailbox',
  program: '/usr/bin/foo arg',
};

/** A new destination of a kind, with what the schema needs filled with a starting value. */
export function newDestination(kind: DestinationKind): AliasDestination {
  switch (kind) {
    case 'autoreply':
      return { kind, autoreply: { subject: '', body: '', periodSec: AUTOREPLY_DEFAULT_PERIOD_SEC } };
    case 'filter':
      return { kind, filter: { rules: [{ field: 'subject', contains: '', action: 'discard' }], otherwise: { action: 'deliver' } } };
    case 'discard':
      return { kind };
    default:
      return { kind, value: kind === 'maildir' ? './Maildir/' : kind === 'mbox' ? './Mailbox' : '' };
  }
}

export function AliasesForm({ doc, onChange }: FieldProps) {
  const editable = useEditable();
  const aliases = (doc.aliases as Alias[] | null | undefined) ?? [];
  const set = (next: Alias[]) => onChange(withField(doc, 'aliases', next));
  // Per-domain aliases name a domain that has a virtualdomains prefix.
  const virtualDomains = (doc.virtualdomains ?? []).filter((v) => v.prefix && v.match && !v.match.includes('@'));
  return (
    <ManagedField
      doc={doc}
      onChange={onChange}
      field="aliases"
      label="Mail aliases"
      file="alias/.qmail-*"
      help={
        <>
          One file each under <code>~alias</code>, read at each delivery. <code>default</code> catches every name without a file of its own. A domain makes a per-domain alias of a virtual domain (it needs a prefix in Virtual mappings).
        </>
      }
      whenMissing="qmail's own alias files (postmaster, root…) only"
    >
      <datalist id="virtual-domains">
        {virtualDomains.map((v) => (
          <option key={v.match} value={v.match} />
        ))}
      </datalist>
      {aliases.length === 0 && <p className="muted small">no aliases: every alias file qfleet wrote is removed</p>}
      {aliases.map((a, i) => (
        <AliasEditor key={i} alias={a} at={`aliases[${i}]`} file={aliasFile(a.name, a.domain, doc.virtualdomains)} onChange={(next) => set(aliases.map((x, j) => (j === i ? next : x)))} onRemove={() => set(aliases.filter((_, j) => j !== i))} />
      ))}
      {editable && (
        <button type="button" className="small-button" onClick={() => set([...aliases, { name: '', destinations: [newDestination('forward')] }])} data-testid="add-aliases">
          Add alias
        </button>
      )}
    </ManagedField>
  );
}

function AliasEditor({ alias, at, file, onChange, onRemove }: { alias: Alias; at: string; file: string | undefined; onChange: (a: Alias) => void; onRemove: () => void }) {
  const editable = useEditable();
  const dests = alias.destinations ?? [];
  const setDests = (destinations: AliasDestination[]) => onChange({ ...alias, destinations });
  return (
    <div className="alias-card" data-testid="alias" data-index={at} data-name={alias.name}>
      <div className="row-fields">
        <TextInput path={`${at}.name`} label="name (local part; default = catch-all)" value={alias.name} onChange={(name) => onChange({ ...alias, name })} placeholder="postmaster" />
        <label className="inline-field">
          <span className="muted small">domain (optional, virtual)</span>
          <input
            list="virtual-domains"
            value={alias.domain ?? ''}
            readOnly={!editable}
            onChange={(e) => {
              onChange(e.target.value === '' ? omit(alias, 'domain') : { ...alias, domain: e.target.value });
            }}
            data-testid={`input-${at}.domain`}
            aria-label={`${at}.domain`}
          />
          <FieldError path={`${at}.domain`} />
        </label>
        <span className="muted small alias-file" data-testid="alias-file">
          {file ? <code>{file}</code> : null}
        </span>
        {editable && (
          <button type="button" className="small-button row-remove" onClick={onRemove} data-testid="alias-remove" title="remove this alias">
            Remove alias
          </button>
        )}
      </div>
      <FieldError path={at} />
      <div className="destinations">
        {dests.map((d, j) => (
          <DestinationEditor
            key={j}
            dest={d}
            at={`${at}.destinations[${j}]`}
            onChange={(next) => setDests(dests.map((x, k) => (k === j ? next : x)))}
            onRemove={() => setDests(dests.filter((_, k) => k !== j))}
          />
        ))}
        <FieldError path={`${at}.destinations`} />
        {editable && (
          <button type="button" className="small-button" onClick={() => setDests([...dests, newDestination('forward')])} data-testid={`add-${at}.destinations`}>
            Add destination
          </button>
        )}
      </div>
    </div>
  );
}

function DestinationEditor({ dest, at, onChange, onRemove }: { dest: AliasDestination; at: string; onChange: (d: AliasDestination) => void; onRemove: () => void }) {
  const editable = useEditable();
  return (
    <div className="destination" data-testid="destination" data-kind={dest.kind}>
      <div className="row-fields">
        <label className="inline-field">
          <span className="muted small">delivers to</span>
          <select
            value={dest.kind}
            disabled={!editable}
            onChange={(e) => onChange(newDestination(e.target.value as DestinationKind))}
            data-testid={`input-${at}.kind`}
            aria-label={`${at}.kind`}
          >
            {DESTINATION_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
          <FieldError path={`${at}.kind`} />
        </label>
        {'value' in dest && (
          <TextInput path={`${at}.value`} label={dest.kind === 'program' ? 'command (run by sh -c as the alias user; privileged)' : 'value'} value={dest.value} onChange={(value) => onChange({ ...dest, value })} placeholder={PLACEHOLDERS[dest.kind]} wide />
        )}
        {dest.kind === 'discard' && <span className="muted small">the file holds only <code>#</code>: the message is dropped</span>}
        {editable && (
          <button type="button" className="small-button row-remove" onClick={onRemove} data-testid="destination-remove" title="remove this destination">
            ×
          </button>
        )}
      </div>
      <FieldError path={at} />
      {dest.kind === 'autoreply' && <AutoreplyEditor value={dest.autoreply} at={`${at}.autoreply`} onChange={(autoreply) => onChange({ kind: 'autoreply', autoreply })} />}
      {dest.kind === 'filter' && <FilterEditor value={dest.filter} at={`${at}.filter`} onChange={(filter) => onChange({ kind: 'filter', filter })} />}
    </div>
  );
}

/** Webmin's autoreply editor: subject, from, body, and the period between two replies to one sender. */
function AutoreplyEditor({ value, at, onChange }: { value: Autoreply; at: string; onChange: (v: Autoreply) => void }) {
  const editable = useEditable();
  return (
    <div className="sub-editor" data-testid="autoreply-editor">
      <p className="muted small">Replies once per sender per period; never to bulk, list, auto-submitted or MAILER-DAEMON mail.</p>
      <div className="row-fields">
        <TextInput path={`${at}.subject`} label="subject" value={value.subject} onChange={(subject) => onChange({ ...value, subject })} wide />
        <TextInput
          path={`${at}.from`}
          label="from (optional)"
          value={value.from}
          onChange={(from) => {
            onChange(from === '' ? omit(value, 'from') : { ...value, from });
          }}
        />
        <IntegerInput path={`${at}.periodSec`} label={`seconds between replies (default ${AUTOREPLY_DEFAULT_PERIOD_SEC})`} value={value.periodSec} onChange={(p) => onChange({ ...value, periodSec: (p ?? AUTOREPLY_DEFAULT_PERIOD_SEC) as number })} optional />
      </div>
      <label className="inline-field wide">
        <span className="muted small">body</span>
        <textarea className="editor" rows={4} value={value.body} readOnly={!editable} onChange={(e) => onChange({ ...value, body: e.target.value })} data-testid={`input-${at}.body`} aria-label={`${at}.body`} />
        <FieldError path={`${at}.body`} />
      </label>
      <FieldError path={at} />
    </div>
  );
}

const needsTo = (action: string) => action === 'forward' || action === 'maildir' || action === 'mbox';

function targetWith<T extends FilterTarget>(t: T, action: FilterTarget['action']): T {
  return (needsTo(action) ? { ...t, action, to: t.to ?? '' } : { ...omit(t, 'to'), action }) as T;
}

/** Webmin's filter editor: rules tried in order, the first match routes the message, else `otherwise`. */
function FilterEditor({ value, at, onChange }: { value: Filter; at: string; onChange: (v: Filter) => void }) {
  const editable = useEditable();
  const rules = value.rules ?? [];
  const setRules = (next: FilterRule[]) => onChange({ ...value, rules: next });
  return (
    <div className="sub-editor" data-testid="filter-editor">
      <p className="muted small">Rules are tried in order; the first that matches routes the message. Matching is literal and case-insensitive. <code>deliver</code> hands the message on to the alias&apos;s other destinations.</p>
      {rules.map((r, k) => {
        const rat = `${at}.rules[${k}]`;
        const set = (next: FilterRule) => setRules(rules.map((x, j) => (j === k ? next : x)));
        return (
          <div key={k} className="row-entry" data-testid="filter-rule">
            <div className="row-fields">
              <Choice
                path={`${rat}.field`}
                label="if"
                value={r.field}
                options={FILTER_FIELDS}
                onChange={(field) => {
                  set(field === 'header' ? { ...r, field, header: r.header ?? '' } : { ...omit(r, 'header'), field });
                }}
              />
              {r.field === 'header' && <TextInput path={`${rat}.header`} label="header name" value={r.header} onChange={(header) => set({ ...r, header })} />}
              <label className="inline-field checkbox">
                <span className="muted small">does not</span>
                <input type="checkbox" checked={r.negate === true} disabled={!editable} onChange={(e) => set(e.target.checked ? { ...r, negate: true } : omit(r, 'negate'))} data-testid={`input-${rat}.negate`} />
                <FieldError path={`${rat}.negate`} />
              </label>
              <TextInput path={`${rat}.contains`} label="contain" value={r.contains} onChange={(contains) => set({ ...r, contains })} />
              <Choice path={`${rat}.action`} label="then" value={r.action} options={FILTER_ACTIONS} onChange={(action) => set(targetWith(r, action))} />
              {needsTo(r.action) && <TextInput path={`${rat}.to`} label={r.action === 'forward' ? 'address' : 'path'} value={r.to} onChange={(to) => set({ ...r, to })} />}
              {editable && (
                <button type="button" className="small-button row-remove" onClick={() => setRules(rules.filter((_, j) => j !== k))} data-testid="filter-rule-remove">
                  ×
                </button>
              )}
            </div>
            <FieldError path={rat} />
          </div>
        );
      })}
      <FieldError path={`${at}.rules`} />
      {editable && (
        <button type="button" className="small-button" onClick={() => setRules([...rules, { field: 'subject', contains: '', action: 'discard' }])} data-testid={`add-${at}.rules`}>
          Add rule
        </button>
      )}
      <div className="row-fields">
        <Choice path={`${at}.otherwise.action`} label="otherwise" value={value.otherwise.action} options={FILTER_ACTIONS} onChange={(action) => onChange({ ...value, otherwise: targetWith(value.otherwise, action) })} />
        {needsTo(value.otherwise.action) && <TextInput path={`${at}.otherwise.to`} label="to" value={value.otherwise.to} onChange={(to) => onChange({ ...value, otherwise: { ...value.otherwise, to } })} />}
      </div>
      <FieldError path={`${at}.otherwise`} />
      <FieldError path={at} />
    </div>
  );
}
