import type { QueueCounts, QueuedMessage } from './types';

/**
 * What qmail-qread and qmail-qstat print (QMAIL.md §4), reproduced from notqmail's
 * qmail-qread.c (fmtstats, putstats, out), date822fmt.c and qmail-qstat.sh.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * date822fmt without its last 7 bytes (" -0000\n"): day unpadded, hours to seconds padded,
 * always UTC; qmail-qread then writes " GMT" itself.
 */
export function qreadDate(d: Date): string {
  return (
    `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
  );
}

/** qmail-qread's out(): every byte outside 32–126 is printed as `_` (strings here are latin1). */
export function qreadSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_');
}

/**
 * One header line per message: `<date> GMT  #<id>  <size>  <<sender>> ` and, when
 * `bounce/ID` exists, ` bouncing` after that trailing space. The whole header goes through
 * out(), so the sender's unprintable bytes become `_` too. Then each local recipient and
 * each remote one, `  done` before the tab for a D record.
 */
export function formatQread(messages: readonly QueuedMessage[]): string {
  let out = '';
  for (const m of messages) {
    let header = `${qreadDate(m.queuedAt)} GMT  #${m.id}  ${m.size}  <${m.sender}> `;
    if (m.bouncing) header += ' bouncing';
    out += qreadSafe(header) + '\n';
    for (const kind of ['local', 'remote'] as const) {
      for (const r of m.recipients) {
        if (r.kind !== kind) continue;
        out += `${r.done ? '  done' : ''}\t${kind}\t${qreadSafe(r.address)}\n`;
      }
    }
  }
  return out;
}

export function formatQstat(counts: QueueCounts): string {
  return `messages in queue: ${counts.messages}\nmessages in queue but not yet preprocessed: ${counts.unprocessed}\n`;
}
