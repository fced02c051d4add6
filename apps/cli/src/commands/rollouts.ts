import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { ROLLOUT_HOST_STATES, type HealthGate, type RolloutPreview, type RolloutPreviewHost, type RolloutSummary, type RolloutView } from '@qfleet/protocol';
import { UsageError } from '../client';
import { Context } from '../context';
import { ago, privilegedLines, table } from '../output';
import { batchText, countsText, hostStateText, watchRollout } from '../rollout-watch';
import { nonNegativeInt, positiveInt } from './arguments';

const ON_FAIL: HealthGate['onFail'][] = ['halt', 'revert'];
/** Host states worth a line at the end of a watch: what did not (yet) get the change. */
const TROUBLE = new Set(['failed', 'timeout', 'skipped', 'offline', 'held']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface CreateOptions {
  change: string;
  group?: string[];
  match?: string[];
  host?: string[];
  batchSize?: number;
  maxFailures?: number;
  timeout?: number;
  settle?: number;
  maxQueueGrowth?: number;
  maxOldestAge?: number;
  onFail?: HealthGate['onFail'];
  overwriteDrift?: boolean;
  dryRun?: boolean;
  watch?: boolean;
}

interface FollowUpOptions {
  batchSize?: number;
  maxFailures?: number;
  timeout?: number;
  watch?: boolean;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `--change` is the JSON itself, `@path` for a file, or `-` for standard input. */
export function readChange(arg: string, readStdin: () => string = () => fs.readFileSync(0, 'utf8')): Record<string, unknown> {
  let text: string;
  let from: string;
  if (arg === '-') {
    text = readStdin();
    from = 'standard input';
  } else if (arg.startsWith('@')) {
    from = arg.slice(1);
    try {
      text = fs.readFileSync(from, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else {
    text = arg;
    from = '--change';
  }
  let change: unknown;
  try {
    change = JSON.parse(text);
  } catch (e) {
    throw new Error(`${from} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof change !== 'object' || change === null || Array.isArray(change)) throw new Error(`${from} must hold a JSON object: {"add": …, "remove": …, "set": …}`);
  return change as Record<string, unknown>;
}

/** The health gate from its options: none of them, or --settle with at least one limit. */
export function healthGate(opts: Pick<CreateOptions, 'settle' | 'maxQueueGrowth' | 'maxOldestAge' | 'onFail'>): HealthGate | undefined {
  const limits = opts.maxQueueGrowth !== undefined || opts.maxOldestAge !== undefined;
  if (opts.settle === undefined) {
    if (limits || opts.onFail) throw new UsageError('the health gate needs --settle <sec>: how long to watch each batch after it applied');
    return undefined;
  }
  if (!limits) throw new UsageError('--settle needs --max-queue-growth or --max-oldest-age: what to watch during it');
  return {
    settleSeconds: opts.settle,
    ...(opts.maxQueueGrowth !== undefined ? { maxQueueGrowth: opts.maxQueueGrowth } : {}),
    ...(opts.maxOldestAge !== undefined ? { maxOldestAgeSec: opts.maxOldestAge } : {}),
    onFail: opts.onFail ?? 'halt',
  };
}

/** A dry run for people: per host, its batch and outcome, then the file diffs and post-steps. */
export function previewText(p: RolloutPreview): string {
  if (!p.hosts.length) return 'dry run: the target has no hosts';
  const by = (o: RolloutPreviewHost['outcome']) => p.hosts.filter((h) => h.outcome === o).length;
  const blocks = p.hosts.map((h) => {
    const head = `${h.name}: batch ${h.batch + 1} of ${p.batches}, ${h.outcome === 'change' ? 'would change' : h.outcome}${h.error ? `: ${h.error}` : ''}${h.connected ? '' : ' (agent offline)'}`;
    const lines = [head, ...privilegedLines(h.privileged)];
    for (const c of h.changes) lines.push(`${c.action} ${c.path}`, ...(c.diff ? [c.diff.trimEnd()] : c.action === 'remove' ? [] : ['(no diff: the controller does not know the bytes on the host)']));
    if (h.outcome === 'change') lines.push(h.postSteps.length ? `then: ${h.postSteps.join(', ')}` : 'no post-steps');
    for (const w of h.warnings) lines.push(`warning: ${w.path ? `${w.path}: ` : ''}${w.message}`);
    return lines.join('\n');
  });
  const foot = [`${by('change')} would change`, `${by('unchanged')} unchanged`, `${by('skipped')} skipped`, `${by('invalid')} invalid`, `${by('held')} held (drift)`].filter((s) => !s.startsWith('0 ')).join(', ');
  return [...blocks, `dry run: ${plural(p.hosts.length, 'host')} in ${plural(p.batches, 'batch', 'batches')}, ${foot}; nothing was changed`].join('\n\n');
}

function revisionText(h: RolloutView['hosts'][number]): string {
  if (h.revision === null) return '-';
  return h.previousRevision === null || h.previousRevision === h.revision ? String(h.revision) : `${h.previousRevision} → ${h.revision}`;
}

function hostTable(hosts: RolloutView['hosts']): string {
  return table(
    ['HOST', 'BATCH', 'STATE', 'REVISION', 'ERROR'],
    hosts.map((h) => [h.name, String(h.batch + 1), h.state, revisionText(h), h.error ?? '']),
  );
}

function targetText(s: RolloutSummary): string {
  return [
    s.target.groups?.length ? `groups ${s.target.groups.join(', ')}` : '',
    s.target.names?.length ? `names ${s.target.names.join(', ')}` : '',
    s.target.hosts?.length ? plural(s.target.hosts.length, 'host') : '',
  ]
    .filter(Boolean)
    .join(' and ');
}

function showText(v: RolloutView): string {
  const gate = v.health;
  const rows: [string, string][] = [
    ['id', v.id],
    ['kind', `${v.kind}${v.parentId ? ` of ${v.parentId}` : ''}`],
    ['status', `${v.status}, ${batchText(v)}${v.reason ? ` (${v.reason})` : ''}`],
    ['created', `${v.createdAt} by ${v.createdBy}, ${ago(v.createdAt)}`],
    ['finished', v.finishedAt ? `${v.finishedAt}, ${ago(v.finishedAt)}` : '-'],
    ['target', targetText(v) || '-'],
    ['change', JSON.stringify(v.change)],
    ['batches', `${plural(v.batchSize, 'host')} each, ${v.batchTimeoutSec} s for the acknowledgements`],
    ['failures', `${v.failures}, at most ${v.maxFailures}`],
    [
      'health gate',
      gate
        ? `settle ${gate.settleSeconds} s${gate.maxQueueGrowth !== undefined ? `, queue growth at most ${gate.maxQueueGrowth}` : ''}${gate.maxOldestAgeSec !== undefined ? `, oldest message at most ${gate.maxOldestAgeSec} s` : ''}, then ${gate.onFail}`
        : 'none',
    ],
    ['hosts', countsText(v.counts)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const head = rows.map(([k, val]) => `${`${k}:`.padEnd(width + 2)}${val}`).join('\n');
  if (!v.hosts.length) return head;
  const { page, pageSize, total, state } = v.hostsPage;
  const first = (page - 1) * pageSize;
  const more = first + v.hosts.length < total ? `\n\nhosts ${first + 1}–${first + v.hosts.length} of ${total}${state ? ` ${state}` : ''}; the next: qfleet rollout show ${v.id} --page ${page + 1}${pageSize !== 100 ? ` --page-size ${pageSize}` : ''}${state ? ` --state ${state}` : ''}` : '';
  return `${head}\n\n${hostTable(v.hosts)}${more}`;
}

/** The end of a watch: the hosts that did not get the change, then how the rollout ended. */
function finalText(v: RolloutView): string {
  const trouble = v.hosts.filter((h) => TROUBLE.has(h.state));
  const lines: string[] = [];
  if (trouble.length)
    lines.push(
      table(
        ['HOST', 'BATCH', 'STATE', 'ERROR'],
        trouble.map((h) => [h.name, String(h.batch + 1), h.state, h.error ?? (h.state === 'offline' ? hostStateText(h).replace(/^offline: /, '') : '')]),
      ),
    );
  const where = v.status === 'completed' ? '' : ` at ${batchText(v)}`;
  lines.push(`rollout ${v.id} ${v.status}${where}${v.reason ? ` (${v.reason})` : ''}: ${countsText(v.counts)}`);
  return lines.join('\n');
}

/**
 * Watches to the end, prints the outcome, and gives the exit code scripts rely on:
 * 0 when the rollout completed; 1 (thrown, so main prints why) when it halted, was
 * cancelled or was paused.
 */
async function watchToEnd(ctx: Context, id: string): Promise<void> {
  const last = await watchRollout(ctx, id);
  ctx.print(last, () => finalText(last));
  if (last.status === 'completed') return;
  if (last.status === 'paused') throw new Error(`rollout ${id} is paused, not completed; go on with: qfleet rollout resume ${id}`);
  throw new Error(`rollout ${id} ${last.status}, not completed${last.reason ? `: ${last.reason}` : ''}`);
}

/** A rollout argument: its id, or the start of one among the last 500 rollouts. */
async function rolloutId(ctx: Context, arg: string): Promise<string> {
  if (UUID.test(arg) || !/^[0-9a-f-]{1,35}$/i.test(arg)) return arg;
  const found = (await ctx.api.get<RolloutSummary[]>('/api/rollouts?limit=500')).filter((r) => r.id.startsWith(arg.toLowerCase()));
  if (found.length > 1) throw new UsageError(`"${arg}" starts ${found.length} rollout ids; give more of it`);
  if (!found.length) throw new Error(`no rollout whose id starts with "${arg}"`);
  return found[0].id;
}

/**
 * A retry's or revert's batch settings: those given, else the rollout's it follows. They are
 * sent even when not given: the controller fills a missing one with a new rollout's default.
 */
function followUpBody(opts: FollowUpOptions, parent: RolloutSummary): Record<string, number> {
  return {
    batchSize: opts.batchSize ?? parent.batchSize,
    maxFailures: opts.maxFailures ?? parent.maxFailures,
    batchTimeoutSec: opts.timeout ?? parent.batchTimeoutSec,
  };
}

/** Prints a rollout just created (or its last view, with --watch). */
async function started(ctx: Context, v: RolloutView, what: string, watch: boolean | undefined): Promise<void> {
  if (!(watch && ctx.options.json))
    ctx.print(v, () =>
      [
        `created ${what} ${v.id}: ${plural(v.hostsPage.total, 'host')} in ${plural(v.batches, 'batch', 'batches')} of ${v.batchSize}, at most ${v.maxFailures} failed`,
        ...(watch ? [] : [`follow it with: qfleet rollout watch ${v.id}`]),
      ].join('\n'),
    );
  if (watch) await watchToEnd(ctx, v.id);
}

export function rolloutsCommand(program: Command): void {
  const rollout = program.command('rollout').description('one change to many hosts, in batches: create, watch and steer rollouts');

  rollout
    .command('create')
    .description('start a rollout of a change to groups and hosts, or --dry-run it')
    .requiredOption('--change <json>', 'the change {"add": …, "remove": …, "set": …} as JSON, @FILE to read it from a file, or - for standard input')
    .option('--group <name...>', 'every host of these groups (repeatable)')
    .option('--host <name-or-id...>', 'these hosts (repeatable)')
    .option('--match <pattern...>', "every host whose name matches, e.g. 'mx*.eu.example.net' (* and ?, any case; repeatable)")
    .option('--batch-size <n>', 'hosts per batch (controller default 10)', positiveInt)
    .option('--max-failures <n>', 'halt when more hosts than this failed (controller default 0)', nonNegativeInt)
    .option('--timeout <sec>', "how long a batch waits for its hosts' acknowledgements (controller default 120)", positiveInt)
    .option('--settle <sec>', 'health gate: watch each batch for this long after it applied', positiveInt)
    .option('--max-queue-growth <n>', "health gate: trips when a host's queue grows by more than this", nonNegativeInt)
    .option('--max-oldest-age <sec>', "health gate: trips when a host's oldest queued message gets older than this", positiveInt)
    .addOption(new Option('--on-fail <what>', 'health gate: when it trips, halt (the default), or revert the batch and halt').choices(ON_FAIL))
    .option('--overwrite-drift', 'apply also where files were edited on the host (drift); without it such hosts are held until the drift is adopted or reverted')
    .option('--dry-run', 'show what each host would get (file diffs, post-steps) and change nothing')
    .option('--watch', 'then follow it to the end, like rollout watch')
    .action(async (opts: CreateOptions, cmd: Command) => {
      const ctx = Context.of(cmd);
      if (!opts.group?.length && !opts.host?.length && !opts.match?.length)
        throw new UsageError('give the hosts to change: --group NAME, --host NAME or --match PATTERN (each repeatable)');
      if (opts.dryRun && opts.watch) throw new UsageError('--watch has nothing to follow with --dry-run');
      const health = healthGate(opts);
      const change = readChange(opts.change);
      const hosts = opts.host?.length ? (await ctx.hosts(opts.host)).map((h) => h.id) : [];
      const body = {
        target: { ...(opts.group?.length ? { groups: opts.group } : {}), ...(opts.match?.length ? { names: opts.match } : {}), ...(hosts.length ? { hosts: [...new Set(hosts)] } : {}) },
        change,
        ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
        ...(opts.maxFailures !== undefined ? { maxFailures: opts.maxFailures } : {}),
        ...(opts.timeout !== undefined ? { batchTimeoutSec: opts.timeout } : {}),
        ...(health ? { health } : {}),
        ...(opts.overwriteDrift ? { overwriteDrift: true } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      };
      if (opts.dryRun) {
        const preview = await ctx.api.request<RolloutPreview>('POST', '/api/rollouts', body);
        ctx.print(preview, () => previewText(preview));
        return;
      }
      await started(ctx, await ctx.api.request<RolloutView>('POST', '/api/rollouts', body), 'rollout', opts.watch);
    });

  rollout
    .command('watch')
    .description('follow a rollout until it stops running; exit 0 only if it completed')
    .argument('<id>', 'the rollout id, or its start')
    .action(async (arg: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      await watchToEnd(ctx, await rolloutId(ctx, arg));
    });

  rollout
    .command('list')
    .description('the latest rollouts, newest first')
    .option('--limit <n>', 'how many', positiveInt, 50)
    .action(async (opts: { limit: number }, cmd: Command) => {
      const ctx = Context.of(cmd);
      const list = await ctx.api.get<RolloutSummary[]>(`/api/rollouts?limit=${opts.limit}`);
      ctx.print(list, () =>
        list.length
          ? table(
              ['ID', 'KIND', 'STATUS', 'BATCH', 'HOSTS', 'CREATED', 'BY'],
              list.map((r) => [r.id, r.kind, r.status, batchText(r), countsText(r.counts), ago(r.createdAt), r.createdBy]),
            )
          : 'no rollouts yet; start one with: qfleet rollout create --change JSON --group NAME',
      );
    });

  rollout
    .command('show')
    .description('one rollout: its settings and counts, and its hosts (a page at a time) with their state, revision and error')
    .argument('<id>', 'the rollout id, or its start')
    .option('--page <n>', 'which page of hosts (default 1)', positiveInt)
    .option('--page-size <n>', 'hosts per page (default 100, at most 1000)', positiveInt)
    .addOption(new Option('--state <state>', 'only hosts in this state').choices([...ROLLOUT_HOST_STATES]))
    .action(async (arg: string, opts: { page?: number; pageSize?: number; state?: string }, cmd: Command) => {
      const ctx = Context.of(cmd);
      const query = new URLSearchParams();
      if (opts.page) query.set('page', String(opts.page));
      if (opts.pageSize) query.set('pageSize', String(opts.pageSize));
      if (opts.state) query.set('state', opts.state);
      const v = await ctx.api.get<RolloutView>(`/api/rollouts/${encodeURIComponent(await rolloutId(ctx, arg))}${query.size ? `?${query}` : ''}`);
      ctx.print(v, () => showText(v));
    });

  const steer: [string, string, string][] = [
    ['pause', 'stop after the batch in flight', 'paused: it stops after the batch in flight'],
    ['cancel', 'start no further batch; hosts already sent keep their revision', 'cancelled'],
  ];
  for (const [verb, description, done] of steer)
    rollout
      .command(verb)
      .description(description)
      .argument('<id>', 'the rollout id, or its start')
      .action(async (arg: string, _: unknown, cmd: Command) => {
        const ctx = Context.of(cmd);
        const id = await rolloutId(ctx, arg);
        const v = await ctx.api.request<RolloutView>('POST', `/api/rollouts/${encodeURIComponent(id)}/${verb}`);
        ctx.print(v, () => `rollout ${v.id} ${done}; ${countsText(v.counts)}`);
      });

  rollout
    .command('resume')
    .description('run a paused or halted rollout again from where it stopped')
    .argument('<id>', 'the rollout id, or its start')
    .option('--max-failures <n>', 'raise the limit of a rollout that halted on failures', nonNegativeInt)
    .option('--watch', 'then follow it to the end, like rollout watch')
    .action(async (arg: string, opts: { maxFailures?: number; watch?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd);
      const id = await rolloutId(ctx, arg);
      const v = await ctx.api.request<RolloutView>('POST', `/api/rollouts/${encodeURIComponent(id)}/resume`, opts.maxFailures !== undefined ? { maxFailures: opts.maxFailures } : {});
      if (!(opts.watch && ctx.options.json)) ctx.print(v, () => `rollout ${v.id} ${v.status} again at ${batchText(v)}, at most ${v.maxFailures} failed`);
      if (opts.watch) await watchToEnd(ctx, v.id);
    });

  const followUps: [string, string][] = [
    ['retry', 'of an ended rollout: a new one of the same change to just the hosts that failed'],
    ['revert', 'of an ended rollout: a new one giving each host it changed its document from before'],
  ];
  for (const [verb, description] of followUps)
    rollout
      .command(verb)
      .description(description)
      .argument('<id>', 'the rollout id, or its start')
      .option('--batch-size <n>', 'hosts per batch (default: as the rollout it follows)', positiveInt)
      .option('--max-failures <n>', 'halt when more hosts than this failed (default: as the rollout it follows)', nonNegativeInt)
      .option('--timeout <sec>', "how long a batch waits for its hosts' acknowledgements (default: as the rollout it follows)", positiveInt)
      .option('--watch', 'then follow it to the end, like rollout watch')
      .action(async (arg: string, opts: FollowUpOptions, cmd: Command) => {
        const ctx = Context.of(cmd);
        const id = await rolloutId(ctx, arg);
        const parent = await ctx.api.get<RolloutView>(`/api/rollouts/${encodeURIComponent(id)}`);
        const v = await ctx.api.request<RolloutView>('POST', `/api/rollouts/${encodeURIComponent(id)}/${verb}`, followUpBody(opts, parent));
        await started(ctx, v, `${verb} rollout`, opts.watch);
      });
}
