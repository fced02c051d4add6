import { useMemo, useState, type FormEvent } from 'react';
import { api, type AuditFilter } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { usePolling } from '../hooks';
import { AuditList } from './AuditList';

const LIMIT = 200;
/** The action families the controller writes; `action=rollout` matches rollout.create, rollout.apply… */
const FAMILIES = ['config', 'rollout', 'action', 'drift', 'group', 'host', 'queue', 'mailbox', 'token'];

/** `<input type="datetime-local">` is in the viewer's zone; the API takes ISO with an offset. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Who changed what across the whole fleet, filtered by actor, action, host and time; each entry with its diff. */
export function AuditPage() {
  const hosts = usePolling(api.listHosts, []);
  const [form, setForm] = useState({ actor: '', action: '', host: '', since: '', until: '' });
  const [filter, setFilter] = useState<AuditFilter>({ limit: LIMIT });
  const entries = usePolling(() => api.auditSearch(filter), [JSON.stringify(filter)], 10_000);
  const hostNames = useMemo(() => new Map((hosts.data ?? []).map((h) => [h.id, h.name])), [hosts.data]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter({
      actor: form.actor.trim() || undefined,
      action: form.action.trim() || undefined,
      target: form.host ? `host:${form.host}` : undefined,
      since: isoOf(form.since),
      until: isoOf(form.until),
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
          <label>
            From
            <input type="datetime-local" step={1} value={form.since} onChange={set('since')} data-testid="audit-filter-since" />
          </label>
          <label>
            Until
            <input type="datetime-local" step={1} value={form.until} onChange={set('until')} data-testid="audit-filter-until" />
          </label>
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
