/** "12 s ago", "3 min ago", … for last-seen columns; the exact time goes in a title. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * ISO 8601 in the viewer's time zone, 24 h: "2026-11-27 14:05:09". Operators across countries
 * read the same digits; the zone itself is shown once, in the header (timeZoneLabel).
 */
export function when(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${day(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "2026-11-27" in the viewer's time zone. */
export function day(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "+05:30", "-04:00", "+00:00": the viewer's UTC offset at `d`. */
export function utcOffset(d = new Date()): string {
  const m = -d.getTimezoneOffset();
  const sign = m < 0 ? '-' : '+';
  return `${sign}${pad(Math.floor(Math.abs(m) / 60))}:${pad(Math.abs(m) % 60)}`;
}

/** "Asia/Kolkata (UTC+05:30)": the zone every time on the page is given in. */
export function timeZoneLabel(d = new Date()): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone ? `${zone} (UTC${utcOffset(d)})` : `UTC${utcOffset(d)}`;
}

/** "45 s", "12 min", "3h", "2d": how long the oldest message has waited. */
export function age(sec: number | null): string {
  if (sec === null) return '–';
  if (sec < 60) return `${Math.round(sec)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h`;
  return `${Math.floor(sec / 86400)}d`;
}

/** "in 3 min" / "3 min ago" for retry times, which lie ahead. */
export function relative(iso: string | null, now = Date.now()): string {
  if (!iso) return '–';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(s) < 5) return 'now';
  return s > 0 ? `in ${age(s)}` : `${age(-s)} ago`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

/** A retry time already past means qmail-send will try at its next queue run: "due". */
export function retryAt(iso: string | null, now = Date.now()): string {
  if (!iso) return '–';
  return Date.parse(iso) <= now ? 'due' : relative(iso, now);
}
