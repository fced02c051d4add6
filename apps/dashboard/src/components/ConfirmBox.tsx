import type { ReactNode } from 'react';

/** A destructive step spelled out before it runs: what will happen, then Confirm or Cancel. */
export function ConfirmBox({
  children,
  confirmLabel,
  cancelLabel = 'Cancel',
  busy,
  onConfirm,
  onCancel,
  testId,
}: {
  children: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId: string;
}) {
  return (
    <div className="confirm-box" role="alertdialog">
      <div>{children}</div>
      <div className="actions">
        <button type="button" className="danger" onClick={onConfirm} disabled={busy} data-testid={testId}>
          {busy ? 'Working…' : confirmLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          {cancelLabel}
        </button>
      </div>
    </div>
  );
}
