import type { PrivilegedChange } from '@qfleet/protocol';

/** Plain-text tables: a header row, then one row per item, columns padded to the widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** "3m ago", "2h ago", "5d ago": how long since a timestamp, for people. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const sec = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ago`;
  return `${Math.floor(sec / 86400)}d ago`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * Program deliveries and assignments a change adds or alters (they decide what runs on the mail
 * host as which uid): one line each, ahead of the file diffs, so a reader does not miss them.
 */
export function privilegedLines(items: readonly PrivilegedChange[] | undefined): string[] {
  return (items ?? []).map((p) => `privileged: ${p.path}: ${p.kind === 'program' ? `runs |${p.value}` : `assigns ${p.value}`}`);
}
