import { useEffect, useState } from 'react';
import { api, ApiError, type GroupWriteResult } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { PrivilegedWarning } from '../components/PrivilegedWarning';

/**
 * The group's document as JSON, in the host editor's terms plus `remove`: the Advanced tab of
 * the group's forms. A viewer reads it without a Save button. A change of `reloadKey` loads the
 * document again, after the forms saved it.
 */
export function GroupDocumentEditor({
  group,
  canEdit,
  onSaved,
  reloadKey = 0,
}: {
  group: string;
  canEdit: boolean;
  onSaved: () => void;
  reloadKey?: number;
}) {
  const [text, setText] = useState<string | undefined>();
  const [loaded, setLoaded] = useState('');
  const [revision, setRevision] = useState<number | undefined>();
  const [reloads, setReloads] = useState(0);
  const [error, setError] = useState<ApiError | undefined>();
  const [result, setResult] = useState<GroupWriteResult | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.getGroup(group).then(
      (g) => {
        const pretty = JSON.stringify(g.document ?? {}, null, 2);
        setText(pretty);
        setLoaded(pretty);
        setRevision(g.revision);
        setError(undefined);
      },
      (e: ApiError) => setError(e),
    );
  }, [group, reloadKey, reloads]);

  const save = async () => {
    let doc: unknown;
    try {
      doc = JSON.parse(text ?? '');
    } catch (e) {
      setError(
        new ApiError({
          statusCode: 0,
          error: 'Invalid JSON',
          message: `The document is not valid JSON: ${(e as Error).message}`,
        }),
      );
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // The revision loaded: a save over a newer one (another operator's) is refused, not applied.
      const r = await api.putGroupConfig(group, doc, revision);
      setResult(r);
      setLoaded(text ?? '');
      setRevision(r.revision);
      onSaved();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const refused = refusedMembers(result);
  return (
    <section className="card" data-testid="group-document">
      <div className="section-head">
        <h2>Group document</h2>
        {text !== undefined && text !== loaded && (
          <strong className="warn small">unsaved changes</strong>
        )}
      </div>
      <p className="muted small">
        Absent field = the group says nothing · <code>null</code> = managed and
        removed · <code>[]</code> = empty file · <code>remove</code> takes
        entries out of what the earlier layers gave. Saving gives every member a
        new revision.
      </p>
      <textarea
        className="editor"
        spellCheck={false}
        value={text ?? ''}
        onChange={(e) => setText(e.target.value)}
        rows={Math.min(30, Math.max(8, (text ?? '').split('\n').length + 1))}
        readOnly={!canEdit || text === undefined}
        data-testid="group-editor"
        data-loaded={text !== undefined}
        aria-label="Group document (JSON)"
      />
      {canEdit && (
        <div className="actions">
          <button
            type="button"
            className="primary"
            onClick={save}
            disabled={busy || text === undefined}
            data-testid="group-save"
          >
            {busy ? 'Saving…' : 'Save'}
          </button>
          {result && (
            <span
              className="good"
              data-testid="group-saved"
              data-revision={result.revision}
            >
              Saved as group revision {result.revision};{' '}
              {result.hosts.length - refused.length}{' '}
              {result.hosts.length - refused.length === 1
                ? 'member'
                : 'members'}{' '}
              got a new revision
            </span>
          )}
        </div>
      )}
      <ErrorBox error={error} onReload={() => setReloads((n) => n + 1)} />
      {result && <PrivilegedWarning items={result.privileged} />}
      <RefusedMembers result={result} testId="group-refused" />
    </section>
  );
}

/** The members whose new revision a group write refused. */
export function refusedMembers(result: GroupWriteResult | undefined): { id: string; name: string; error: string }[] {
  return result?.hosts.filter((h): h is { id: string; name: string; error: string } => 'error' in h) ?? [];
}

/** Names each member a group write refused, with why (nothing when none was). */
export function RefusedMembers({ result, testId }: { result: GroupWriteResult | undefined; testId: string }) {
  const refused = refusedMembers(result);
  if (!refused.length) return null;
  return (
    <div className="error-box" data-testid={testId}>
      Refused for:{' '}
      {refused.map((h) => (
        <span key={h.id}>
          <code>{h.name}</code> ({h.error}){' '}
        </span>
      ))}
    </div>
  );
}
