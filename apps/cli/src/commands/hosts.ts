import type { Command } from 'commander';
import { HOST_SORTS, HOST_STATES, TOTAL_COUNT_HEADER, type HostView } from '@qfleet/protocol';
import { Context } from '../context';
import { ago, table } from '../output';
import { agentInstallSteps } from '../agent-install';
import { hostsImportCommand } from './hosts-import';


function revisions(h: HostView): string {
  return h.appliedRevision === h.desiredRevision ? `${h.appliedRevision}` : `${h.appliedRevision} → ${h.desiredRevision}`;
}

function qmailState(h: HostView): string {
  if (!h.qmail) return 'unknown';
  if (!h.qmail.installed) return 'not installed';
  return h.qmail.running === null ? 'installed' : h.qmail.running ? 'running' : 'stopped';
}

interface HostListOptions {
  match?: string;
  group?: string;
  state?: string;
  queueAbove?: string;
  sort?: string;
  desc?: boolean;
  page?: string;
  pageSize?: string;
}

/** `?q=…&page=…` for the options given ('' for none); the controller checks the values and names a bad one. */
export function hostListQuery(opts: HostListOptions): string {
  const params = new URLSearchParams();
  const set = (name: string, value: string | undefined) => value !== undefined && params.set(name, value);
  set('q', opts.match);
  set('group', opts.group);
  set('state', opts.state);
  set('queueAbove', opts.queueAbove);
  set('sort', opts.sort);
  if (opts.desc) params.set('order', 'desc');
  set('page', opts.page);
  set('pageSize', opts.pageSize);
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

export function hostsCommand(program: Command): void {
  const hosts = program.command('hosts').description('the fleet: list, show, add and import hosts; enrol, rotate and revoke their agents');

  hosts
    .command('list')
    .description('hosts with their connection, revisions, drift and queue: every host, or one page of those matching the options')
    .option('--match <text>', 'names containing this, any case')
    .option('--group <group>', 'hosts in this group')
    .option('--state <states>', `any of, comma-separated: ${HOST_STATES.join(', ')}`)
    .option('--queue-above <n>', 'what --state queue means: more messages than this (default 1000)')
    .option('--sort <column>', `one of: ${HOST_SORTS.join(', ')} (default name)`)
    .option('--desc', 'sort in descending order')
    .option('--page <n>', 'the page to show (default 1)')
    .option('--page-size <n>', 'hosts a page (default 100, at most 1000)')
    .action(async (opts: HostListOptions, cmd: Command) => {
      const ctx = Context.of(cmd);
      const query = hostListQuery(opts);
      // No option: the whole fleet in one answer, as always; with any, one page and its total.
      const { body: list, headers } = await ctx.api.getWithHeaders<HostView[]>(`/api/hosts${query}`);
      const total = query ? headers.get(TOTAL_COUNT_HEADER) : null;
      const footer = total === null ? '' : `\n${list.length} of ${total} host${total === '1' ? '' : 's'}`;
      ctx.print(list, () =>
        list.length
          ? table(
              ['NAME', 'ID', 'GROUPS', 'AGENT', 'REVISION', 'DRIFT', 'QUEUE', 'LAST SEEN'],
              list.map((h) => [
                h.name,
                h.id,
                h.groups.join(',') || '-',
                h.connected ? 'connected' : 'offline',
                revisions(h),
                h.drift.length ? `${h.drift.length} file${h.drift.length > 1 ? 's' : ''}` : '-',
                h.queue ? String(h.queue.messages) : '-',
                h.connected ? 'now' : ago(h.lastSeen),
              ]),
            ) + footer
          : query
            ? `no host matches${footer}`
            : 'no hosts yet; add one with: qfleet hosts add NAME',
      );
    });

  hosts
    .command('show')
    .description('one host in detail')
    .argument('<host>', 'id or name')
    .action(async (arg: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const { answer: h } = await ctx.onHost<HostView>(arg, 'GET', '');
      ctx.print(h, () => {
        const rows: [string, string][] = [
          ['name', h.name],
          ['id', h.id],
          ['groups', h.groups.join(', ') || '-'],
          ['agent', `${h.connected ? 'connected' : `offline, last seen ${ago(h.lastSeen)}`}${h.agentVersion ? ` (version ${h.agentVersion})` : ''}`],
          ['desired revision', String(h.desiredRevision)],
          ['applied revision', String(h.appliedRevision)],
          ...(h.failedRevision ? ([['failed revision', String(h.failedRevision)]] as [string, string][]) : []),
          ['drift', h.drift.length ? h.drift.join(', ') : 'none'],
          ['drift policy', h.driftPolicy],
          ['qmail', qmailState(h)],
          ['queue', h.queue ? `${h.queue.messages} messages (${h.queue.local} local, ${h.queue.remote} remote, ${h.queue.unprocessed} unprocessed)` : 'unknown'],
        ];
        const width = Math.max(...rows.map(([k]) => k.length));
        return rows.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n');
      });
    });

  hosts
    .command('add')
    .description('create a host; prints its one-time enrol token and the agent command')
    .argument('<name>', 'the host name, e.g. mx1.example.net')
    .option('--group <group...>', 'groups the host belongs to')
    .action(async (name: string, opts: { group?: string[] }, cmd: Command) => {
      const ctx = Context.of(cmd);
      const created = await ctx.api.request<{ id: string; name: string; groups: string[]; enrollToken: string }>('POST', '/api/hosts', {
        name,
        ...(opts.group ? { groups: opts.group } : {}),
      });
      ctx.print(created, () =>
        [
          `created host ${created.name} (id ${created.id})${created.groups.length ? ` in ${created.groups.join(', ')}` : ''}`,
          `enrol token (shown only this once): ${created.enrollToken}`,
          '',
          ...agentInstallSteps(ctx.options.url, created.enrollToken),
        ].join('\n'),
      );
    });

  hostAction<{ id: string; name: string; enrollToken: string }>(hosts, {
    name: 'enroll',
    description: 'a new one-time enrol token for an existing host (a reinstalled or revoked agent); its old secret works until an agent enrols with it',
    route: '/enroll',
    text: (r, ctx) =>
      [
        `new enrol token for ${r.name} (shown only this once): ${r.enrollToken}`,
        '',
        ...agentInstallSteps(ctx.options.url, r.enrollToken),
        'An agent already installed: run install-agent.sh again with the flags it was installed with and this --token; it restarts the agent.',
      ].join('\n'),
  });

  hostAction<{ id: string; name: string; rotatedAt: string }>(hosts, {
    name: 'rotate',
    description: "give the host's connected agent a new secret; the old one stops working once the agent stored the new one",
    route: '/rotate-secret',
    text: (r) => `rotated the secret of ${r.name}: the agent stored the new one; the old one no longer works`,
  });

  hostAction<{ id: string; name: string; revokedAt: string }>(hosts, {
    name: 'revoke',
    description: "end the host's secret and enrol token and disconnect its agent; `hosts enroll` brings it back",
    route: '/revoke',
    text: (r) => `revoked ${r.name}: its agent is disconnected and refused; issue a new enrol token with: qfleet hosts enroll ${r.name}`,
  });

  hostsImportCommand(hosts);
}

/** `qfleet hosts <name> <host>`: POST /api/hosts/<id><route> with no body, its answer printed. */
function hostAction<T>(parent: Command, spec: { name: string; description: string; route: string; text: (answer: T, ctx: Context) => string }): void {
  parent
    .command(spec.name)
    .description(spec.description)
    .argument('<host>', 'id or name')
    .action(async (arg: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const { answer } = await ctx.onHost<T>(arg, 'POST', spec.route);
      ctx.print(answer, () => spec.text(answer, ctx));
    });
}
