import { useContext, useEffect, useState, type ReactNode } from 'react';
import { FieldError, ProblemsContext, useEditable, useScope } from './FieldError';
import { initialValue, stateOf, withField, type ConfigDocument, type DocKey, type ManagedState } from './doc';

export interface FieldProps {
  doc: ConfigDocument;
  onChange: (doc: ConfigDocument) => void;
}

const STATE_LABELS: Record<ManagedState, string> = {
  unmanaged: 'Not managed',
  managed: 'Managed',
  removed: 'Removed (qmail default)',
};

/**
 * One document field with its managed state switchable (docs/document.md "Managed, removed,
 * empty"): not managed leaves the file as it is; removed deletes it so qmail's default applies;
 * managed writes exactly what the form holds. `children` edits the value when managed.
 */
export function ManagedField({
  doc,
  onChange,
  field,
  label,
  file,
  help,
  whenMissing,
  allowRemoved = true,
  errorInChild = false,
  children,
}: FieldProps & {
  field: DocKey;
  label: string;
  file?: string;
  help?: ReactNode;
  /** qmail's default, shown always: it is what "removed" (and often "not managed") means */
  whenMissing?: string;
  allowRemoved?: boolean;
  /** the managed editor is one input at the field's own path, which shows its problems itself */
  errorInChild?: boolean;
  children: ReactNode;
}) {
  const editable = useEditable();
  const group = useScope() === 'group';
  const state = stateOf(doc, field);
  const switchTo = (to: ManagedState) => {
    if (to === state) return;
    onChange(withField(doc, field, to === 'unmanaged' ? undefined : to === 'removed' ? null : initialValue(field)));
  };
  return (
    <div className={`form-field state-${state}`} data-testid={`field-${field}`} data-state={state}>
      <div className="form-field-head">
        <label className="form-field-label">
          {label} {file && <code className="muted small">{file}</code>}
        </label>
        <select
          className="managed-switch"
          value={state}
          onChange={(e) => switchTo(e.target.value as ManagedState)}
          disabled={!editable}
          data-testid={`managed-${field}`}
          aria-label={`${label}: managed or not`}
        >
          {(Object.keys(STATE_LABELS) as ManagedState[])
            .filter((s) => allowRemoved || s !== 'removed' || state === 'removed')
            .map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
        </select>
      </div>
      {help && <p className="muted small form-help">{help}</p>}
      {whenMissing && (
        <p className="muted small form-default" data-testid={`default-${field}`}>
          qmail&apos;s default (no file): {whenMissing}
        </p>
      )}
      {state === 'managed' && children}
      {state === 'unmanaged' &&
        (group ? (
          <p className="muted small">This group says nothing about it: the member&apos;s own document or its other groups decide.</p>
        ) : (
          <p className="muted small">qfleet leaves {file ? <code>{file}</code> : 'this'} as it is on the host.</p>
        ))}
      {state === 'removed' && (
        <p className="muted small">
          {file ? <code>{file}</code> : 'The file'} is deleted on the {group ? 'members (unless a later layer sets it)' : 'host'}; qmail&apos;s default applies.
        </p>
      )}
      {!(errorInChild && state === 'managed') && <FieldError path={field} />}
    </div>
  );
}

/** Past this many entries a list opens as text: thousands of inputs would slow the page. */
export const TEXT_MODE_ENTRIES = 200;

/**
 * A list of one-line entries: one input each, each with its problems beside it, or (a long
 * list, or on request) one textarea of one entry a line, as Webmin had it, with each refused
 * entry named under it. Blank lines are dropped, as qmail skips them.
 */
export function StringList({ path, values, onChange, placeholder }: { path: string; values: string[]; onChange: (v: string[]) => void; placeholder?: string }) {
  const editable = useEditable();
  const [asText, setAsText] = useState(values.length > TEXT_MODE_ENTRIES);
  return (
    <div className="string-list" data-testid={`list-${path}`} data-mode={asText ? 'text' : 'rows'}>
      {asText ? (
        <ListText path={path} values={values} onChange={onChange} />
      ) : (
        <>
          {values.length === 0 && <p className="muted small">empty: the file is written with no entries</p>}
          {values.map((v, i) => (
            <div key={i} className="row-entry" data-testid="list-entry" data-index={i}>
              <div className="row-fields">
                <input
                  value={v}
                  placeholder={placeholder}
                  readOnly={!editable}
                  onChange={(e) => onChange(values.map((x, j) => (j === i ? e.target.value : x)))}
                  data-testid={`input-${path}[${i}]`}
                  aria-label={`${path} entry ${i + 1}`}
                />
                {editable && (
                  <button type="button" className="small-button" onClick={() => onChange(values.filter((_, j) => j !== i))} data-testid="list-remove" title="remove this entry">
                    ×
                  </button>
                )}
              </div>
              <FieldError path={`${path}[${i}]`} />
            </div>
          ))}
        </>
      )}
      <div className="actions">
        {editable && !asText && (
          <button type="button" className="small-button" onClick={() => onChange([...values, ''])} data-testid={`add-${path}`}>
            Add
          </button>
        )}
        <button type="button" className="small-button" onClick={() => setAsText(!asText)} data-testid={`mode-${path}`}>
          {asText ? 'Edit one by one' : 'Edit as text'}
        </button>
      </div>
    </div>
  );
}

const linesOf = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

function ListText({ path, values, onChange }: { path: string; values: string[]; onChange: (v: string[]) => void }) {
  const editable = useEditable();
  const problems = useContext(ProblemsContext);
  const [text, setText] = useState(() => values.join('\n'));
  // Another change of the document (a reload, discard) shows; typing keeps its blank lines.
  useEffect(() => {
    if (JSON.stringify(linesOf(text)) !== JSON.stringify(values)) setText(values.join('\n'));
  }, [values]);
  const refused = values.map((v, i) => ({ v, i, at: `${path}[${i}]` })).filter((e) => problems.has(e.at));
  return (
    <>
      <textarea
        className="editor"
        rows={Math.min(20, Math.max(4, values.length + 1))}
        value={text}
        readOnly={!editable}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          onChange(linesOf(e.target.value));
        }}
        data-testid={`text-${path}`}
        aria-label={`${path}, one entry a line`}
      />
      <p className="muted small">{values.length} entries, one a line</p>
      {refused.map((e) => (
        <div key={e.i} className="row-entry" data-testid="list-entry" data-index={e.i}>
          <span className="small">
            entry {e.i + 1}: <code>{e.v}</code>
          </span>
          <FieldError path={e.at} />
        </div>
      ))}
    </>
  );
}

/** A one-line text input bound to a document path, with its problems beside it. */
export function TextInput({ path, value, onChange, placeholder, label, wide }: { path: string; value: string | undefined; onChange: (v: string) => void; placeholder?: string; label: string; wide?: boolean }) {
  const editable = useEditable();
  return (
    <label className={`inline-field ${wide ? 'wide' : ''}`}>
      <span className="muted small">{label}</span>
      <input value={value ?? ''} placeholder={placeholder} readOnly={!editable} onChange={(e) => onChange(e.target.value)} data-testid={`input-${path}`} aria-label={`${path}`} />
      <FieldError path={path} />
    </label>
  );
}

/**
 * An unsigned integer as typed: a whole number becomes a number, anything else stays the
 * text typed, which the controller refuses beside the field.
 */
export function parseInteger(text: string): number | string {
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

export function IntegerInput({ path, value, onChange, label, optional }: { path: string; value: unknown; onChange: (v: number | string | undefined) => void; label: string; optional?: boolean }) {
  const editable = useEditable();
  return (
    <label className="inline-field">
      <span className="muted small">{label}</span>
      <input
        inputMode="numeric"
        value={value === undefined || value === null ? '' : String(value)}
        readOnly={!editable}
        onChange={(e) => onChange(optional && e.target.value === '' ? undefined : parseInteger(e.target.value))}
        data-testid={`input-${path}`}
        aria-label={path}
      />
      <FieldError path={path} />
    </label>
  );
}

/** A choice among fixed values. */
export function Choice<T extends string>({ path, value, options, onChange, label }: { path: string; value: T; options: readonly T[]; onChange: (v: T) => void; label: string }) {
  const editable = useEditable();
  return (
    <label className="inline-field">
      <span className="muted small">{label}</span>
      <select value={value} disabled={!editable} onChange={(e) => onChange(e.target.value as T)} data-testid={`input-${path}`} aria-label={path}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      <FieldError path={path} />
    </label>
  );
}

/** Rows of objects (virtual mappings, routes, assignments): add, remove, each row's fields. */
export function Rows<T>({ path, rows, onChange, make, render, addLabel = 'Add' }: { path: string; rows: T[]; onChange: (rows: T[]) => void; make: () => T; render: (row: T, set: (row: T) => void, at: string) => ReactNode; addLabel?: string }) {
  const editable = useEditable();
  return (
    <div className="rows" data-testid={`rows-${path}`}>
      {rows.length === 0 && <p className="muted small">empty: the file is written with no entries</p>}
      {rows.map((r, i) => (
        <div key={i} className="row-entry" data-testid="row" data-index={i}>
          <div className="row-fields">
            {render(r, (next) => onChange(rows.map((x, j) => (j === i ? next : x))), `${path}[${i}]`)}
            {editable && (
              <button type="button" className="small-button row-remove" onClick={() => onChange(rows.filter((_, j) => j !== i))} data-testid="row-remove" title="remove this entry">
                ×
              </button>
            )}
          </div>
          <FieldError path={`${path}[${i}]`} />
        </div>
      ))}
      {editable && (
        <button type="button" className="small-button" onClick={() => onChange([...rows, make()])} data-testid={`add-${path}`}>
          {addLabel}
        </button>
      )}
    </div>
  );
}
