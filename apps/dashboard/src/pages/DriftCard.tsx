import { useEffect, useState } from 'react';
import { api, type DriftFile, type DriftPolicy, type Host } from '../api';
import { DiffView } from '../components/DiffView';
import { ErrorBox } from '../components/ErrorBox';
import { useAction, usePolling } from '../hooks';
import { useCan } from '../session';

const POLICIES: { value: DriftPolicy; hint: string }[] = [
  {
    value: 'report',
    hint: 'Edits stay on the host and are shown here until you adopt or revert them.',
  },
  {
    value: 'enforce',
    hint: 'Edits are overwritten as soon as the agent reports them.',
  },
];

/**
 * Managed files edited on the host behind qfleet's back, and the two ways out: take the edits
 * into the document, or write the desired files again.
 */
export function DriftCard({
  host: h,
  onChanged,
}: {
  host: Host;
  onChanged: () => void;
}) {
  const action = useAction();
  const [message, setMessage] = useState<string | undefined>();
  // The polled host answers the old policy until its next refresh; show the chosen one meanwhile.
  const [chosen, setChosen] = useState<DriftPolicy | undefined>();
  useEffect(() => setChosen(undefined), [h.driftPolicy]);
  const policy = chosen ?? h.driftPolicy;
  const paths = h.drift;
  const canAct = useCan('operator');
  // Asked of the agent again only when the drifted set or the revision changes, not on every poll.
  const driftKey = `${h.desiredRevision}:${paths.join('\0')}`;
  const contents = usePolling(
    () =>
      paths.length && h.connected
        ? api.driftFiles(h.id)
        : Promise.resolve(undefined),
    [h.id, driftKey, h.connected],
  );
  const byPath = new Map((contents.data?.files ?? []).map((f) => [f.path, f]));

  const act = async <T,>(call: () => Promise<T>, done: (res: T) => string) => {
    setMessage(undefined);
    const res = await action.run(call);
    if (res === undefined) return false;
    setMessage(done(res));
    onChanged();
    return true;
  };

  const adopt = () =>
    act(
      () => api.adoptDrift(h.id),
      (r) =>
        `Adopted ${r.adopted.join(', ')} into the document as revision ${r.revision}.`,
    );
  const revert = () =>
    act(
      () => api.revertDrift(h.id),
      (r) =>
        `Sent revision ${r.revision} again: ${r.drift.length ? r.drift.join(', ') : 'the edited files'} will be overwritten.`,
    );
  const setPolicy = async (p: DriftPolicy) => {
    setChosen(p);
    if (
      !(await act(
        () => api.updateHost(h.id, { driftPolicy: p }),
        () => `Drift policy set to ${p}.`,
      ))
    )
      setChosen(undefined);
  };

  return (
    <section
      className={`card ${paths.length ? 'card-warn' : ''}`}
      data-testid="drift-card"
      data-drift={paths.length}
    >
      <div className="section-head">
        <h2>Drift</h2>
        <label className="inline-label">
          policy
          <select
            value={policy}
            onChange={(e) => setPolicy(e.target.value as DriftPolicy)}
            disabled={action.busy || !canAct}
            data-testid="drift-policy"
            data-value={policy}
          >
            {POLICIES.map((p) => (
              <option key={p.value} value={p.value}>
                {p.value}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted small">
        {POLICIES.find((p) => p.value === policy)?.hint}
      </p>
      {paths.length === 0 ? (
        <p className="muted">
          Managed files on the host match the applied revision.
        </p>
      ) : (
        <>
          <p>These files were changed on the host since qfleet wrote them:</p>
          <ul className="paths" data-testid="drift-list">
            {paths.map((p) => (
              <li key={p} data-testid="drift-path" data-path={p}>
                <code>{p}</code>
                <DriftContent file={byPath.get(p)} />
              </li>
            ))}
          </ul>
          {!h.connected && (
            <p className="muted small">
              The agent is offline: the edited bytes are shown once it is back.
            </p>
          )}
          {(contents.data?.more ?? 0) > 0 && (
            <p className="muted small">
              {contents.data?.more} more edited files are not shown here.
            </p>
          )}
          <ErrorBox error={contents.error} />
          {canAct && (
            <>
              <p className="muted small">
                <strong>Adopt</strong> makes the host's files the document (a
                new revision). <strong>Revert</strong> writes the document's
                files again, overwriting the edits.
              </p>
              <div className="actions">
                <button
                  type="button"
                  className="small-button"
                  onClick={adopt}
                  disabled={action.busy}
                  data-testid="drift-adopt"
                >
                  Adopt into the document
                </button>
                <button
                  type="button"
                  className="small-button"
                  onClick={revert}
                  disabled={action.busy}
                  data-testid="drift-revert"
                >
                  Revert the host
                </button>
              </div>
            </>
          )}
        </>
      )}
      <div data-testid="drift-message">
        {message && <p className="good small message">{message}</p>}
        <ErrorBox error={action.error} />
      </div>
    </section>
  );
}

/** The edit itself: from what qfleet wrote (the desired revision) to what the host has now. */
function DriftContent({ file }: { file: DriftFile | undefined }) {
  if (!file) return null;
  if (file.skipped)
    return (
      <p className="muted small" data-testid="drift-skipped">
        not read: {file.skipped}
      </p>
    );
  if (file.onHost === null)
    return (
      <p className="small" data-testid="drift-gone">
        removed on the host
      </p>
    );
  return file.diff ? <DiffView diff={file.diff} testId="drift-diff" /> : null;
}
