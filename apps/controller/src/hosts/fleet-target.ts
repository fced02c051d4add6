import { matchesHostPattern, type FleetTarget } from '@qfleet/protocol';
import type { PrismaService } from '../database/prisma.service';
import type { Host, Prisma } from '../generated/prisma/client';
import { InvalidInput } from '../errors/errors';

/** What a target is matched on. */
type TargetHost = Pick<Host, 'id' | 'name' | 'groups'>;

/**
 * The hosts a fleet call aims at, by name: the hosts named by id, every host of the groups,
 * and every host whose name matches a pattern. A host id that does not exist, a group no
 * host is in, or a pattern no host matches is refused by its path, so a typo never quietly
 * narrows a rollout.
 */
export function hostsOfTarget(prisma: PrismaService, target: FleetTarget): Promise<Host[]> {
  return matching(target, (where) => prisma.host.findMany({ where, orderBy: { name: 'asc' } }));
}

/**
 * hostsOfTarget with only the columns a target is matched on, all that starting a rollout
 * needs (its chunks read what they decide on as they go). Whole rows (secrets, last applies,
 * reported hashes, each JSON value parsed) made the POST that starts a 10,000-host rollout
 * take 0.79 s; with these three columns it took 0.44 s (bench/fanout, one run each).
 */
export function targetedHosts(prisma: PrismaService, target: FleetTarget): Promise<TargetHost[]> {
  return matching(target, (where) => prisma.host.findMany({ where, orderBy: { name: 'asc' }, select: { id: true, name: true, groups: true } }));
}

async function matching<T extends TargetHost>(target: FleetTarget, read: (where: Prisma.HostWhereInput) => Promise<T[]>): Promise<T[]> {
  if (!target.hosts?.length && !target.groups?.length && !target.names?.length)
    throw new InvalidInput('target: give hosts, groups or names', [{ path: 'target', message: 'give hosts, groups or names' }]);
  const patterns = target.names ?? [];
  // Patterns are matched here, not in SQL: the same rules as the CLI's, on every database.
  const hosts = (
    await read(patterns.length ? {} : { OR: [...(target.hosts?.length ? [{ id: { in: target.hosts } }] : []), ...(target.groups?.length ? [{ groups: { hasSome: target.groups } }] : [])] })
  ).filter((h) => target.hosts?.includes(h.id) || h.groups.some((g) => target.groups?.includes(g)) || patterns.some((p) => matchesHostPattern(h.name, p)));
  const ids = new Set(hosts.map((h) => h.id));
  const inGroups = new Set(hosts.flatMap((h) => h.groups));
  const problems = [
    ...(target.hosts ?? []).flatMap((id, i) => (ids.has(id) ? [] : [{ path: `target.hosts[${i}]`, message: `no host with id ${id}` }])),
    ...(target.groups ?? []).flatMap((g, i) => (inGroups.has(g) ? [] : [{ path: `target.groups[${i}]`, message: `no host is in group ${g}` }])),
    ...patterns.flatMap((p, i) => (hosts.some((h) => matchesHostPattern(h.name, p)) ? [] : [{ path: `target.names[${i}]`, message: `no host name matches ${p}` }])),
  ];
  if (problems.length) throw new InvalidInput(`target: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  return hosts;
}
