import { CreateHostSchema, MAX_BULK_HOSTS, parsePayload, type CreateHost, type FieldProblem } from '@qfleet/protocol';

/** One host of an inventory file, with where it came from (`line 7`, `[6]`) for messages. */
export interface InventoryRow {
  where: string;
  host: CreateHost;
}

export type ParsedInventory = { ok: true; rows: InventoryRow[] } | { ok: false; problems: FieldProblem[] };

/**
 * A provider's inventory: a JSON array of `{name, groups?}`, or CSV with the header
 * `name,groups` (groups `;`-separated, the column optional). Which one is decided by the first
 * character that is not white space: `[` is JSON. Every row is checked against the API's own
 * schema and names are checked unique across the whole file (the API sees one chunk at a time),
 * so a file with a mistake creates nothing.
 */
export function parseInventory(text: string): ParsedInventory {
  const body = text.replace(/^\uFEFF/, '');
  const parsed = body.trimStart().startsWith('[') ? fromJson(body) : fromCsv(body);
  if (!parsed.ok) return parsed;
  const problems: FieldProblem[] = [];
  const rows: InventoryRow[] = [];
  const first = new Map<string, string>();
  for (const { where, value } of parsed.rows) {
    const r = parsePayload(CreateHostSchema, value);
    if (!r.ok) for (const p of r.problems) problems.push({ path: where, message: `${p.path || '(row)'}: ${p.message}` });
    // A row with another mistake still claims its name: both mistakes are told at once.
    const name = (value as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      const seen = first.get(name);
      if (seen) problems.push({ path: where, message: `name: ${name} is given twice (first at ${seen})` });
      else first.set(name, where);
    }
    if (r.ok) rows.push({ where, host: r.value });
  }
  if (!problems.length && !rows.length) problems.push({ path: '', message: 'no hosts in it' });
  return problems.length ? { ok: false, problems } : { ok: true, rows };
}

type Raw = { ok: true; rows: { where: string; value: unknown }[] } | { ok: false; problems: FieldProblem[] };

function fromJson(text: string): Raw {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [{ path: '', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  if (!Array.isArray(doc)) return { ok: false, problems: [{ path: '', message: 'must be a JSON array of {"name", "groups"}' }] };
  return { ok: true, rows: doc.map((value, i) => ({ where: `[${i}]`, value })) };
}

const CSV_COLUMNS = ['name', 'groups'];

/**
 * CSV as spreadsheets write it for these columns: no field can hold a comma or a quote (the
 * schema refuses both), so a field is split on commas and a pair of quotes around it dropped.
 * Blank lines and lines starting with `#` are skipped; lines are numbered as an editor does.
 */
function fromCsv(text: string): Raw {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() && !l.trimStart().startsWith('#'));
  if (headerAt < 0) return { ok: false, problems: [{ path: '', message: 'no hosts in it' }] };
  const header = splitCsv(lines[headerAt]).map((h) => h.toLowerCase());
  const unknown = header.filter((h) => !CSV_COLUMNS.includes(h));
  if (header[0] !== 'name' || unknown.length || new Set(header).size !== header.length) {
    return { ok: false, problems: [{ path: `line ${headerAt + 1}`, message: `the header must be "name,groups" (groups may be left out), not "${lines[headerAt].trim()}"` }] };
  }
  const problems: FieldProblem[] = [];
  const rows: { where: string; value: unknown }[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    if (!lines[i].trim() || lines[i].trimStart().startsWith('#')) continue;
    const where = `line ${i + 1}`;
    const cells = splitCsv(lines[i]);
    if (cells.length > header.length) {
      problems.push({ path: where, message: `${cells.length} fields, the header has ${header.length}` });
      continue;
    }
    const value: Record<string, unknown> = { name: cells[0] ?? '' };
    const groups = header.indexOf('groups');
    if (groups >= 0 && cells[groups]) value['groups'] = cells[groups].split(';').map((g) => g.trim()).filter(Boolean);
    rows.push({ where, value });
  }
  return problems.length ? { ok: false, problems } : { ok: true, rows };
}

function splitCsv(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
}

/** Requests of at most MAX_BULK_HOSTS hosts and about `maxBytes` of JSON each (the API takes 1 MB). */
export function chunkInventory(rows: InventoryRow[], maxHosts = MAX_BULK_HOSTS, maxBytes = 900_000): InventoryRow[][] {
  const chunks: InventoryRow[][] = [];
  let chunk: InventoryRow[] = [];
  let size = 0;
  for (const row of rows) {
    const bytes = Buffer.byteLength(JSON.stringify(row.host)) + 1;
    if (chunk.length && (chunk.length >= maxHosts || size + bytes > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(row);
    size += bytes;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}
