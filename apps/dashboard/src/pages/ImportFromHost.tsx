import { useState } from 'react';
import { api, type ImportResult, type Warning } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { useAction } from '../hooks';
import { useCan } from '../session';

/**
 * Reads the host's qmail files through its agent and makes them the document: first a dry run
 * to look at, then the real import (a new revision) or nothing.
 */
export function ImportFromHost(props: { hostId: string; onImported: () => void }) {
  // Even the dry run is an operator's request (POST …/import).
  return useCan('operator') ? <ImportPanel {...props} /> : null;
}

function ImportPanel({
  hostId,
  onImported,
}: {
  hostId: string;
  onImported: () => void;
}) {
  const action = useAction();
  const [preview, setPreview] = useState<ImportResult | undefined>();
  const [imported, setImported] = useState<ImportResult | undefined>();

  const start = async () => {
    setImported(undefined);
    setPreview(await action.run(() => api.importHost(hostId, true)));
  };
  const confirm = async () => {
    const res = await action.run(() => api.importHost(hostId, false));
    if (!res) return;
    setPreview(undefined);
    setImported(res);
    onImported();
  };
  const cancel = () => {
    setPreview(undefined);
    action.clearError();
  };

  return (
    <div className="import">
      {!preview && (
        <div className="actions">
          <button
            type="button"
            onClick={start}
            disabled={action.busy}
            data-testid="import-start"
          >
            {action.busy ? 'Reading the host…' : 'Import from host…'}
          </button>
          <span className="muted small">
            reads the qmail files on the host and shows the document they make
          </span>
        </div>
      )}
      {imported && (
        <div
          data-testid="import-result"
          data-revision={imported.revision ?? undefined}
        >
          <p className="good">
            Imported as revision {imported.revision}; the editor shows the new
            document.
          </p>
          <Messages
            title="Warnings"
            items={imported.warnings}
            testId="import-result-warnings"
          />
        </div>
      )}
      {preview && (
        <Preview
          result={preview}
          busy={action.busy}
          onConfirm={confirm}
          onCancel={cancel}
        />
      )}
      <ErrorBox error={action.error} />
    </div>
  );
}

function Preview({
  result,
  busy,
  onConfirm,
  onCancel,
}: {
  result: ImportResult;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <div className="import-preview">
      <h3>Document read from the host (dry run, nothing saved)</h3>
      <pre className="json" data-testid="import-preview">
        {JSON.stringify(result.document, null, 2)}
      </pre>
      <h3>Files left unmanaged</h3>
      <ul className="paths" data-testid="import-unmodelled">
        {result.unmodelled.map((u) => (
          <li
            key={u.path}
            data-testid="import-unmodelled-item"
            data-path={u.path}
          >
            <code>{u.path}</code> <span className="muted">{u.reason}</span>
          </li>
        ))}
      </ul>
      {result.unmodelled.length === 0 && (
        <p className="muted">none: every file found is modelled</p>
      )}
      <h3>Files on the host</h3>
      <ul className="paths" data-testid="import-files">
        {result.files.map((f) => (
          <li key={f.path} data-testid="import-file" data-path={f.path} data-action={f.action}>
            <code>{f.path}</code> <strong>{f.action === 'keep' ? 'kept as it is' : f.action === 'write' ? 'written' : 'removed'}</strong>{' '}
            <span className="muted">{f.action === 'keep' ? `until its field changes; then ${f.reason}` : f.reason}</span>
          </li>
        ))}
      </ul>
      {result.files.length === 0 && <p className="muted">every managed file is already exactly what qfleet writes</p>}
      <Messages title="Notes" items={result.notes} testId="import-notes" />
      <Messages
        title="Warnings"
        items={result.warnings}
        testId="import-warnings"
        warn
      />
      <p className="muted small">
        Importing replaces the host's document with this one as a new revision.
        A file that means what the document says keeps its bytes (comments, case)
        and nothing is restarted; only the files listed as written change.
      </p>
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={onConfirm}
          disabled={busy}
          data-testid="import-confirm"
        >
          {busy ? 'Importing…' : 'Import'}
        </button>
        <button
          type="button"
          onClick={onCancel}
          disabled={busy}
          data-testid="import-cancel"
        >
          Cancel
        </button>
      </div>
    </div>
  );
}

function Messages({
  title,
  items,
  testId,
  warn,
}: {
  title: string;
  items: Warning[];
  testId: string;
  warn?: boolean;
}) {
  if (items.length === 0) return null;
  return (
    <div className={warn ? 'warning-box' : 'note-box'} data-testid={testId}>
      <strong>{title}</strong>
      <ul>
        {items.map((w, i) => (
          <li key={i}>
            <code>{w.path}</code>: {w.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
