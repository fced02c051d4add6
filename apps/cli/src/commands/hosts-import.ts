import fs from 'node:fs';
import type { Command } from 'commander';
import { MAX_BULK_HOSTS, type BulkCreatedHosts, type CreatedHost, type FieldProblem } from '@qfleet/protocol';
import { ApiError, UsageError } from '../client';
import { Context } from '../context';
import { chunkInventory, parseInventory, type InventoryRow } from '../inventory';

/** The file was refused: each problem on its own line, by line (CSV) or index (JSON) and field. */
class InventoryError extends Error {
  constructor(from: string, problems: FieldProblem[], tail: string) {
    const n = problems.length;
    super([`${from}: ${n} problem${n > 1 ? 's' : ''}, ${tail}:`, ...problems.map((p) => `  ${p.path ? `${p.path}: ` : ''}${p.message}`)].join('\n'));
  }
}

/** An API refusal of one chunk, its fields (`hosts[3].name`) turned back into the file's lines. */
function rowProblems(e: unknown, chunk: InventoryRow[]): FieldProblem[] | undefined {
  if (!(e instanceof ApiError) || !e.fields.length) return undefined;
  return e.fields.map((f) => {
    const m = /^hosts\[(\d+)\]\.?(.*)$/.exec(f.path);
    const row = m ? chunk[Number(m[1])] : undefined;
    return row ? { path: row.where, message: `${m![2] || '(row)'}: ${f.message}` } : f;
  });
}

/**
 * Where the enrol tokens go, written once: a file created here (O_EXCL, mode 0600, never an
 * existing one), or standard output. A line per host, `name,id,token`, written as each chunk is
 * created, so a failure half-way still leaves the tokens of the hosts that exist. With --json
 * and no file, standard output gets `{"created": [...]}` at the end instead (failure or not).
 */
class TokensOut {
  private readonly held: CreatedHost[] = [];
  private headed = false;

  private constructor(
    private readonly fd: number,
    readonly path: string | undefined,
    private readonly json = false,
  ) {}

  static open(path: string | undefined, json: boolean): TokensOut {
    if (!path) return new TokensOut(-1, undefined, json);
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(code === 'EEXIST' ? `${path} exists already: enrol tokens are written only to a new file` : `cannot create ${path}: ${code ?? (e as Error).message}`);
    }
    return new TokensOut(fd, path);
  }

  /** Durable before the next chunk is sent: the tokens of hosts that exist are never lost. */
  write(text: string): void {
    // Standard output through Node's stream (synchronous for files and pipes on Linux).
    if (!this.path) return void process.stdout.write(text);
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += fs.writeSync(this.fd, bytes, at);
    fs.fsyncSync(this.fd);
  }

  add(hosts: CreatedHost[]): void {
    if (this.json) this.held.push(...hosts);
    else if (hosts.length) {
      this.write(`${this.headed ? '' : 'name,id,token\n'}${hosts.map((h) => `${h.name},${h.id},${h.enrollToken}\n`).join('')}`);
      this.headed = true;
    }
  }

  close(): void {
    if (this.path) fs.closeSync(this.fd);
    else if (this.json) this.write(`${JSON.stringify({ created: this.held }, null, 2)}\n`);
  }

  /** Nothing was created: the empty file goes, so the same command can run again. */
  discard(): void {
    if (!this.path) return;
    fs.closeSync(this.fd);
    fs.rmSync(this.path, { force: true });
  }
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function hostsImportCommand(hosts: Command): void {
  hosts
    .command('import')
    .description(`create many hosts from an inventory (CSV "name,groups" with groups ;-separated, or a JSON array), ${MAX_BULK_HOSTS} per call; prints or saves their one-time enrol tokens`)
    .argument('<file>', 'the inventory, or - for standard input')
    .option('--tokens-out <path>', 'write the enrol tokens (name,id,token) to this new file, mode 0600; it must not exist')
    .option('--dry-run', 'check the inventory with the controller (names free included), create nothing')
    .action(async (file: string, opts: { tokensOut?: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd);
      const from = file === '-' ? 'standard input' : file;
      const parsed = parseInventory(readInput(file));
      if (!parsed.ok) throw new InventoryError(from, parsed.problems, 'nothing created');
      const chunks = chunkInventory(parsed.rows);
      if (opts.tokensOut && !opts.dryRun && fs.existsSync(opts.tokensOut)) throw new UsageError(`${opts.tokensOut} exists already: enrol tokens are written only to a new file`);
      // Every chunk is checked before any is created: the API is all-or-nothing per call, this
      // makes the whole file so but for a name another request takes meanwhile.
      const problems: FieldProblem[] = [];
      for (const chunk of chunks) {
        try {
          await ctx.api.request<BulkCreatedHosts>('POST', '/api/hosts/bulk', { hosts: chunk.map((r) => r.host), dryRun: true });
        } catch (e) {
          const rows = rowProblems(e, chunk);
          if (!rows) throw e;
          problems.push(...rows);
        }
      }
      if (problems.length) throw new InventoryError(from, problems, 'nothing created');
      if (opts.dryRun) {
        const n = parsed.rows.length;
        ctx.print({ dryRun: true, count: n }, () => `${from}: ${n} host${n > 1 ? 's' : ''} to create, all valid; nothing created (dry run)`);
        return;
      }

      const out = TokensOut.open(opts.tokensOut, !!ctx.options.json);
      const created: CreatedHost[] = [];
      try {
        for (const chunk of chunks) {
          let answer: BulkCreatedHosts;
          try {
            answer = await ctx.api.request<BulkCreatedHosts>('POST', '/api/hosts/bulk', { hosts: chunk.map((r) => r.host) });
          } catch (e) {
            const rows = rowProblems(e, chunk);
            const done = created.length
              ? `${created.length} host${created.length > 1 ? 's' : ''} created before it (up to ${parsed.rows[created.length - 1].where})${out.path ? `, their tokens are in ${out.path}` : ''}`
              : 'nothing created';
            if (rows) throw new InventoryError(from, rows, `the hosts from ${chunk[0].where} on were not created; ${done}`);
            throw new Error(`${(e as Error).message}; the hosts from ${chunk[0].where} on were not created; ${done}`);
          }
          out.add(answer.created);
          created.push(...answer.created);
        }
      } finally {
        if (created.length) out.close();
        else out.discard();
      }
      const n = created.length;
      const summary = `created ${n} host${n > 1 ? 's' : ''} in ${chunks.length} call${chunks.length > 1 ? 's' : ''}`;
      // Without a file, standard output carries the tokens alone: the summary goes to standard error.
      if (opts.tokensOut) ctx.print({ count: n, tokensOut: opts.tokensOut }, () => `${summary}; enrol tokens (name,id,token, shown only this once) in ${opts.tokensOut}`);
      else process.stderr.write(`qfleet: ${summary}; their enrol tokens above are shown only this once\n`);
    });
}
