import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type Warning } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { useCan } from '../session';

/**
 * The host's own document as JSON: the configuration forms' Advanced tab. Absent fields are unmanaged, `null` removes the file
 * (qmail's default), `[]` writes an empty file (DESIGN.md "Contract"). A change of `reloadKey`
 * loads the document again, after something else wrote it (adopting drift).
 */
export function ConfigEditor({ hostId, reloadKey = 0, onSaved }: { hostId: string; reloadKey?: number; onSaved: () => void }) {
  const [text, setText] = useState('');
  const [loaded, setLoaded] = useState('');
  const [revision, setRevision] = useState<number | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const [savedRevision, setSavedRevision] = useState<number | undefined>();
  const [busy, setBusy] = useState(false);
  const editable = useCan('operator');

  const load = useCallback(async () => {
    try {
      const cfg = await api.getConfig(hostId);
      const pretty = JSON.stringify(cfg.document ?? {}, null, 2);
      setText(pretty);
      setLoaded(pretty);
      setRevision(cfg.revision);
      setError(undefined);
    } catch (e) {
      setError(e as ApiError);
    }
  }, [hostId]);

  // A reload after our own save (the forms reload both editors) keeps its "saved" line; it
  // goes once the document moves past that revision.
  useEffect(() => {
    void load();
  }, [load, reloadKey]);

  const save = async () => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      setError(new ApiError({ statusCode: 0, error: 'Invalid JSON', message: `The document is not valid JSON: ${(e as Error).message}` }));
      return;
    }
    setBusy(true);
    setError(undefined);
    setWarnings([]);
    setSavedRevision(undefined);
    try {
      // The revision loaded: a save over a newer one (another operator's) is refused, not applied.
      const res = await api.putConfig(hostId, doc, revision);
      setSavedRevision(res.revision);
      setWarnings(res.warnings ?? []);
      await load();
      onSaved();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const dirty = text !== loaded;
  return (
    <div className="json-editor">
      <p className="muted">
        {revision !== undefined && <>revision {revision}</>}
        {dirty && <strong className="warn"> · unsaved changes in the JSON</strong>}
      </p>
      <p className="muted small" data-testid="config-semantics">
        Saving replaces the whole document. Absent field = not managed (its file is left as it is) · <code>null</code> = managed and removed (the file is
        deleted, qmail&apos;s default applies) · <code>[]</code> = empty file · domains are stored lowercase. Every refused field is listed at once.
      </p>
      <textarea
        className="editor"
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        rows={Math.min(30, Math.max(10, text.split('\n').length + 1))}
        data-testid="config-editor"
        data-loaded={revision !== undefined}
        // Editing before the document arrives would be overwritten by it.
        readOnly={revision === undefined || !editable}
        aria-label="Configuration document (JSON)"
      />
      {editable && (
      <div className="actions">
        <button type="button" className="primary" onClick={save} disabled={busy || revision === undefined} data-testid="config-save">
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={load} disabled={busy || !dirty} data-testid="config-reload">
          Discard changes
        </button>
        {savedRevision !== undefined && savedRevision === revision && (
          <span className="good" data-testid="config-saved">
            Saved as revision {savedRevision}
          </span>
        )}
      </div>
      )}
      <ErrorBox error={error} onReload={load} />
      {warnings.length > 0 && savedRevision === revision && (
        <div className="warning-box" data-testid="config-warnings">
          <strong>Warnings</strong>
          <ul>
            {warnings.map((w, i) => (
              <li key={i} data-testid="config-warning">
                <code>{w.path}</code>: {w.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
