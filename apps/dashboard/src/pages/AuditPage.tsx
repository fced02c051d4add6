import { useMemo, useState, type FormEvent } from 'react';
import { api, type AuditFilter } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { timeZoneLabel } from '../format';
import { usePolling } from '../hooks';
import { AuditList } from './AuditList';

const LIMIT = 200;
/** The action families the controller writes; `action=rollout` matches rollout.create, rollout.apply… */
const FAMILIES = ['config', 'rollout', 'action', 'drift', 'group', 'host', 'queue', 'mailbox', 'token'];

const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?))?$/;

/**
 * "2026-11-27 14:00" (ISO 8601 in the viewer's zone, as every date on these pages) to the
 * API's ISO with an offset; a browser's datetime picker would follow its locale (12 h in en-US).
 */
function isoOf(local: string): string | undefined | Error {
  const text = local.trim();
  if (!text) return undefined;
  const m = LOCAL_TIME.exec(text);
  const d = m ? new Date(`${m[1]}T${m[2] ?? '00:00'}`) : undefined; // no offset: the viewer's zone
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : new Error('expected YYYY-MM-DD HH:MM');
}

/** A bound of the time filter, typed as every date on these pages is shown (ISO 8601, the viewer's zone). */
function TimeField(props: { label: string; field: 'since' | 'until'; value: string; onChange: (e: { target: { value: string } }) => void; error?: string }) {
  return (
    <label>
      {props.label} ({timeZoneLabel()})
      <input value={props.value} onChange={props.onChange} placeholder="YYYY-MM-DD HH:MM" data-testid={`audit-filter-${props.field}`} />
      {props.error && (
        <span className="bad" data-testid={`audit-filter-${props.field}-error`}>
          {props.error}
        </span>
      )}
    </label>
  );
}

/** Who changed what across the whole fleet, filtered by actor, action, host and time; each entry with its diff. */
export function AuditPage() {
  const hosts = usePolling(api.listHosts, []);
  const [form, setForm] = useState({ actor: '', action: '', host: '', since: '', until: '' });
  const [filter, setFilter] = useState<AuditFilter>({ limit: LIMIT });
  const entries = usePolling(() => api.auditSearch(filter), [JSON.stringify(filter)], 10_000);
  const hostNames = useMemo(() => new Map((hosts.data ?? []).map((h) => [h.id, h.name])), [hosts.data]);

  const [timeErrors, setTimeErrors] = useState<{ since?: string; until?: string }>({});

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const since = isoOf(form.since);
    const until = isoOf(form.until);
    setTimeErrors({ since: since instanceof Error ? since.message : undefined, until: until instanceof Error ? until.message : undefined });
    if (since instanceof Error || until instanceof Error) return;
    setFilter({
      actor: form.actor.trim() || undefined,
      action: form.action.trim() || undefined,
      target: form.host ? `host:${form.host}` : undefined,
      since,
      until,
      limit: LIMIT,
    });
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  return (
    <>
      <section className="page-head">
        <h1>Audit</h1>
        <p className="muted">Every change and action across the fleet, newest first (at most {LIMIT}).</p>
      </section>
      <section className="card">
        <form className="filters" onSubmit={apply} data-testid="audit-filters">
          <label>
            Actor (part of a token’s name)
            <input value={form.actor} onChange={set('actor')} data-testid="audit-filter-actor" />
          </label>
          <label>
            Action (or its family)
            <input value={form.action} onChange={set('action')} list="audit-families" placeholder="rollout, action.stop…" data-testid="audit-filter-action" />
            <datalist id="audit-families">
              {FAMILIES.map((f) => (
                <option key={f} value={f} />
              ))}
            </datalist>
          </label>
          <label>
            Host
            <select value={form.host} onChange={set('host')} data-testid="audit-filter-host">
              <option value="">any</option>
              {(hosts.data ?? []).map((h) => (
                <option key={h.id} value={h.id}>
                  {h.name}
                </option>
              ))}
            </select>
          </label>
          <TimeField label="From" field="since" value={form.since} onChange={set('since')} error={timeErrors.since} />
          <TimeField label="Until" field="until" value={form.until} onChange={set('until')} error={timeErrors.until} />
          <button type="submit" className="primary" data-testid="audit-filter-apply">
            Filter
          </button>
        </form>
      </section>
      <ErrorBox error={hosts.error} />
      <AuditList entries={entries.data} error={entries.error} title="Entries" shown={LIMIT} hostNames={hostNames} />
    </>
  );
}
