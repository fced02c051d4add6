import { useState, type FormEvent } from 'react';
import { api, ApiError, type GroupSummary, type Host, type RolloutPreview, type RolloutPreviewHost, type RolloutRequest } from '../api';
import { DiffView } from '../components/DiffView';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { PrivilegedWarning } from '../components/PrivilegedWarning';
import { ConnectedDot } from '../components/status';
import { matchesHostPattern } from '@qfleet/protocol/host-pattern';
import { useAction, usePolling } from '../hooks';
import { useCan, useSession } from '../session';
import { navigate } from '../router';

const EXAMPLE_CHANGE = JSON.stringify({ add: { locals: ['new.example'], rcpthosts: ['new.example'] } }, null, 2);
const HOST_FILTER_FROM = 12;

/**
 * One change to many hosts: pick the target, write the change, look at what it does to each
 * host (a dry run), then start it. Start sends exactly what was previewed; editing the form
 * afterwards asks for a new preview first.
 */
export function NewRollout() {
  const groups = usePolling(api.listGroups, []);
  const hosts = usePolling(api.listHosts, []);
  const [pickedGroups, setPickedGroups] = useState<string[]>([]);
  const [pickedHosts, setPickedHosts] = useState<string[]>([]);
  const [hostFilter, setHostFilter] = useState('');
  // Name patterns, as `qfleet rollout --match`: `mx*.eu.example.net`, several apart by blanks or commas.
  const [namePatterns, setNamePatterns] = useState('');
  const [change, setChange] = useState(EXAMPLE_CHANGE);
  const [batchSize, setBatchSize] = useState('10');
  const [maxFailures, setMaxFailures] = useState('0');
  const [batchTimeoutSec, setBatchTimeoutSec] = useState('120');
  const [gate, setGate] = useState(false);
  const [settleSeconds, setSettleSeconds] = useState('60');
  const [maxQueueGrowth, setMaxQueueGrowth] = useState('');
  const [maxOldestAgeSec, setMaxOldestAgeSec] = useState('');
  const [onFail, setOnFail] = useState<'halt' | 'revert'>('halt');
  const [overwriteDrift, setOverwriteDrift] = useState(false);
  const [preview, setPreview] = useState<{ key: string; request: RolloutRequest; result: RolloutPreview } | undefined>();
  const action = useAction();
  const [doing, setDoing] = useState<'preview' | 'start'>('preview');

  // The form as typed: a preview belongs to one such state.
  const patterns = namePatterns.split(/[\s,]+/).filter(Boolean);
  const formKey = JSON.stringify([pickedGroups, pickedHosts, patterns, change, batchSize, maxFailures, batchTimeoutSec, gate, settleSeconds, maxQueueGrowth, maxOldestAgeSec, onFail, overwriteDrift]);
  const fresh = preview !== undefined && preview.key === formKey;
  const targeted = targetedHosts(hosts.data ?? [], pickedGroups, pickedHosts, patterns);
  const hasTarget = pickedGroups.length + pickedHosts.length + patterns.length > 0;
  const me = useSession();
  const canStart = useCan('operator');

  const request = (): RolloutRequest => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(change);
    } catch (e) {
      throw new ApiError({ statusCode: 0, error: 'Invalid JSON', message: `The change is not valid JSON: ${(e as Error).message}`, fields: [{ path: 'change', message: 'not valid JSON' }] });
    }
    return {
      target: {
        ...(pickedGroups.length ? { groups: pickedGroups } : {}),
        ...(pickedHosts.length ? { hosts: pickedHosts } : {}),
        ...(patterns.length ? { names: patterns } : {}),
      },
      change: parsed,
      ...optional('batchSize', batchSize),
      ...optional('maxFailures', maxFailures),
      ...optional('batchTimeoutSec', batchTimeoutSec),
      ...(overwriteDrift ? { overwriteDrift: true } : {}),
      ...(gate
        ? {
            health: {
              settleSeconds: Number(settleSeconds),
              ...optional('maxQueueGrowth', maxQueueGrowth),
              ...optional('maxOldestAgeSec', maxOldestAgeSec),
              onFail,
            },
          }
        : {}),
    };
  };

  const runPreview = async (e: FormEvent) => {
    e.preventDefault();
    const key = formKey;
    setDoing('preview');
    const result = await action.run(async () => {
      const body = request();
      return { request: body, result: await api.previewRollout(body) };
    });
    if (result) setPreview({ key, ...result });
  };
  const start = async () => {
    if (!preview) return;
    setDoing('start');
    const view = await action.run(() => api.startRollout(preview.request));
    if (view) navigate(`/rollouts/${view.id}`);
  };

  const toggle = (list: string[], set: (l: string[]) => void, value: string, on: boolean) => set(on ? [...list, value] : list.filter((v) => v !== value));
  const shownHosts = (hosts.data ?? []).filter((h) => !hostFilter.trim() || h.name.toLowerCase().includes(hostFilter.trim().toLowerCase()));

  // Even a dry run is an operator's request (POST /api/rollouts): a viewer gets no dead form.
  if (me && !canStart) {
    return (
      <>
        <p className="crumbs">
          <Link to="/rollouts">← Rollouts</Link>
        </p>
        <p className="muted" data-testid="rollout-read-only">
          Rollouts are started by operators; the token {me.name} is {me.role}.
        </p>
      </>
    );
  }

  return (
    <>
      <p className="crumbs">
        <Link to="/rollouts">← Rollouts</Link>
      </p>
      <section className="page-head">
        <h1>New rollout</h1>
        <p className="summary">One change to many hosts, a batch at a time.</p>
      </section>
      <form className="new-rollout" onSubmit={runPreview} noValidate data-testid="new-rollout-form">
        <div className="grid">
          <section className="card" data-testid="rollout-target">
            <div className="section-head">
              <h2>Target</h2>
              <span className="muted" data-testid="rollout-targeted" data-count={targeted}>
                {targeted} {targeted === 1 ? 'host' : 'hosts'}
              </span>
            </div>
            <ErrorBox error={groups.error ?? hosts.error} />
            <h3>Groups</h3>
            {groups.data && groups.data.length === 0 && <p className="muted small">No groups yet.</p>}
            <div className="pick-list">
              {groups.data?.map((g: GroupSummary) => (
                <label key={g.name} className="inline-label pick">
                  <input
                    type="checkbox"
                    checked={pickedGroups.includes(g.name)}
                    onChange={(e) => toggle(pickedGroups, setPickedGroups, g.name, e.target.checked)}
                    data-testid="rollout-group"
                    data-group={g.name}
                  />
                  <span className="tag">{g.name}</span>
                  <span className="muted">
                    {g.hosts} {g.hosts === 1 ? 'host' : 'hosts'}
                  </span>
                </label>
              ))}
            </div>
            <h3>Host names</h3>
            <label className="inline-label">
              <input
                className="pick-filter"
                value={namePatterns}
                onChange={(e) => setNamePatterns(e.target.value)}
                placeholder="mx*.eu.example.net"
                aria-label="Host name patterns"
                data-testid="rollout-match"
              />
              <span className="muted small" data-testid="rollout-match-count" data-count={matching(hosts.data ?? [], patterns)}>
                {patterns.length ? `${matching(hosts.data ?? [], patterns)} matching` : '* and ? match any characters; several patterns apart by blanks'}
              </span>
            </label>
            <h3>Hosts</h3>
            {hosts.data && hosts.data.length > HOST_FILTER_FROM && (
              <input className="pick-filter" value={hostFilter} onChange={(e) => setHostFilter(e.target.value)} placeholder="filter by name" aria-label="Filter hosts" />
            )}
            {hosts.data && hosts.data.length === 0 && <p className="muted small">No hosts yet.</p>}
            <div className="pick-list">
              {shownHosts.map((h) => (
                <label key={h.id} className="inline-label pick">
                  <input
                    type="checkbox"
                    checked={pickedHosts.includes(h.id)}
                    onChange={(e) => toggle(pickedHosts, setPickedHosts, h.id, e.target.checked)}
                    data-testid="rollout-host"
                    data-host-name={h.name}
                  />
                  <ConnectedDot connected={h.connected} /> <span>{h.name}</span>
                  {h.groups.map((g) => (
                    <span key={g} className="tag">
                      {g}
                    </span>
                  ))}
                </label>
              ))}
            </div>
          </section>
          <section className="card">
            <h2>Batches</h2>
            <div className="form-fields">
              <label>
                Batch size
                <input type="number" min={1} value={batchSize} onChange={(e) => setBatchSize(e.target.value)} data-testid="rollout-batch-size" />
              </label>
              <label>
                Max failures
                <input type="number" min={0} value={maxFailures} onChange={(e) => setMaxFailures(e.target.value)} data-testid="rollout-max-failures" />
              </label>
              <label>
                Batch timeout <span className="muted small">(seconds)</span>
                <input type="number" min={1} value={batchTimeoutSec} onChange={(e) => setBatchTimeoutSec(e.target.value)} data-testid="rollout-batch-timeout" />
              </label>
            </div>
            <p className="muted small">The rollout halts when more hosts than the max failures fail or time out.</p>
            <label className="inline-label">
              <input type="checkbox" checked={overwriteDrift} onChange={(e) => setOverwriteDrift(e.target.checked)} data-testid="rollout-overwrite-drift" />
              overwrite files edited on the hosts (drift); otherwise such hosts are held until their drift is adopted or reverted
            </label>
            <h3>Health gate</h3>
            <label className="inline-label">
              <input type="checkbox" checked={gate} onChange={(e) => setGate(e.target.checked)} data-testid="rollout-health" />
              watch each batch's mail queues before the next batch starts
            </label>
            {gate && (
              <div className="form-fields">
                <label>
                  Settle <span className="muted small">(seconds)</span>
                  <input type="number" min={1} value={settleSeconds} onChange={(e) => setSettleSeconds(e.target.value)} data-testid="health-settle" />
                </label>
                <label>
                  Max queue growth <span className="muted small">(messages)</span>
                  <input type="number" min={0} value={maxQueueGrowth} onChange={(e) => setMaxQueueGrowth(e.target.value)} data-testid="health-queue-growth" />
                </label>
                <label>
                  Max oldest message <span className="muted small">(seconds)</span>
                  <input type="number" min={1} value={maxOldestAgeSec} onChange={(e) => setMaxOldestAgeSec(e.target.value)} data-testid="health-oldest-age" />
                </label>
                <label>
                  When it trips
                  <select value={onFail} onChange={(e) => setOnFail(e.target.value as 'halt' | 'revert')} data-testid="health-on-fail">
                    <option value="halt">halt the rollout</option>
                    <option value="revert">revert the batch and halt</option>
                  </select>
                </label>
              </div>
            )}
          </section>
        </div>
        <section className="card">
          <h2>Change</h2>
          <p className="muted small">
            <code>add</code> entries to list fields, <code>remove</code> entries from them, <code>set</code> single values; the fields must be managed on every host.
          </p>
          <textarea
            className="editor"
            spellCheck={false}
            value={change}
            onChange={(e) => setChange(e.target.value)}
            rows={Math.min(20, Math.max(6, change.split('\n').length + 1))}
            data-testid="rollout-change"
            aria-label="Change (JSON)"
          />
          <div className="actions">
            <button type="submit" disabled={action.busy || !hasTarget} data-testid="rollout-preview">
              {action.busy && doing === 'preview' ? 'Previewing…' : 'Preview (dry run)'}
            </button>
            <button type="button" className="primary" onClick={start} disabled={action.busy || !fresh} data-testid="rollout-start" title={fresh ? undefined : 'preview the change first'}>
              {action.busy && doing === 'start' ? 'Starting…' : fresh ? `Start rollout on ${preview.result.hosts.length} ${preview.result.hosts.length === 1 ? 'host' : 'hosts'}` : 'Start rollout'}
            </button>
            {!hasTarget && <span className="muted small">pick at least one group, host or name pattern</span>}
            {preview && !fresh && (
              <span className="warn small" data-testid="preview-stale">
                the form changed since the preview: preview again
              </span>
            )}
          </div>
          <ErrorBox error={action.error} />
        </section>
      </form>
      {preview && <PreviewView preview={preview.result} stale={!fresh} />}
    </>
  );
}

/** A number field left empty takes the controller's default. */
function optional<K extends string>(key: K, value: string): { [P in K]?: number } {
  return (value.trim() === '' ? {} : { [key]: Number(value) }) as { [P in K]?: number };
}

function targetedHosts(hosts: Host[], groups: string[], ids: string[], patterns: string[]): number {
  return hosts.filter((h) => ids.includes(h.id) || h.groups.some((g) => groups.includes(g)) || patterns.some((p) => matchesHostPattern(h.name, p))).length;
}

function matching(hosts: Host[], patterns: string[]): number {
  return hosts.filter((h) => patterns.some((p) => matchesHostPattern(h.name, p))).length;
}

const OUTCOME_CLASS: Record<RolloutPreviewHost['outcome'], string> = { change: 'good', unchanged: 'muted', skipped: 'warn', invalid: 'bad', held: 'warn' };

/** The dry run: per host its outcome and the file diffs the change would make. */
function PreviewView({ preview, stale }: { preview: RolloutPreview; stale: boolean }) {
  const count = (o: RolloutPreviewHost['outcome']) => preview.hosts.filter((h) => h.outcome === o).length;
  return (
    <section className={`card ${stale ? 'stale' : ''}`} data-testid="preview-result" data-hosts={preview.hosts.length} data-stale={String(stale)}>
      <div className="section-head">
        <h2>Preview</h2>
        <span className="muted" data-testid="preview-summary">
          {preview.hosts.length} hosts in {preview.batches} {preview.batches === 1 ? 'batch' : 'batches'} · {count('change')} change · {count('unchanged')} unchanged
          {count('skipped') > 0 && <span className="warn"> · {count('skipped')} skipped</span>}
          {count('held') > 0 && <span className="warn"> · {count('held')} held over drift</span>}
          {count('invalid') > 0 && <span className="bad"> · {count('invalid')} invalid</span>}
        </span>
      </div>
      <p className="muted small">A dry run: nothing was saved or sent.</p>
      <ul className="plan">
        {preview.hosts.map((h) => (
          <li key={h.hostId} className="preview-host" data-testid="preview-host" data-host-name={h.name} data-outcome={h.outcome}>
            <div className="plan-path">
              <ConnectedDot connected={h.connected} /> <strong>{h.name}</strong> <span className="muted small">batch {h.batch + 1}</span>{' '}
              <span className={`outcome ${OUTCOME_CLASS[h.outcome]}`} data-testid="preview-outcome">
                {h.outcome}
              </span>
              {!h.connected && <span className="muted small"> · offline: converges when its agent connects</span>}
            </div>
            {h.error && <div className="error-box">{h.error}</div>}
            <PrivilegedWarning items={h.privileged} />
            {h.warnings.length > 0 && (
              <div className="warning-box">
                <ul>
                  {h.warnings.map((w, i) => (
                    <li key={i}>
                      <code>{w.path}</code>: {w.message}
                    </li>
                  ))}
                </ul>
              </div>
            )}
            {h.changes.map((c) => (
              <div key={c.path} className="preview-change" data-testid="preview-change" data-path={c.path} data-action={c.action}>
                <div className="plan-path">
                  <span className={`action action-${c.action}`}>{c.action}</span> <code>{c.path}</code>
                </div>
                {c.diff && <DiffView diff={c.diff} testId="preview-diff" />}
              </div>
            ))}
            {h.postSteps.length > 0 && (
              <p className="small">
                Then runs:{' '}
                {h.postSteps.map((s) => (
                  <code key={s} className="step">
                    {s}
                  </code>
                ))}
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
