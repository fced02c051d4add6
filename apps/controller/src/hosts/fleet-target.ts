import { matchesHostPattern, type FleetTarget } from '@qfleet/protocol';
import type { PrismaService } from '../database/prisma.service';
import { InvalidInput } from '../errors/errors';


/**
 * The hosts a fleet call aims at, by name: the hosts named by id, every host of the groups,
 * and every host whose name matches a pattern. A host id that does not exist, a group no
 * host is in, or a pattern no host matches is refused by its path, so a typo never quietly
 * narrows a rollout.
 */
export async function hostsOfTarget(prisma: PrismaService, target: FleetTarget) {
  if (!target.hosts?.length && !target.groups?.length && !target.names?.length)
    throw new InvalidInput('target: give hosts, groups or names', [{ path: 'target', message: 'give hosts, groups or names' }]);
  const patterns = target.names ?? [];
  // Patterns are matched here, not in SQL: the same rules as the CLI's, on every database.
  const hosts = (
    await prisma.host.findMany({
      where: patterns.length ? {} : { OR: [...(target.hosts?.length ? [{ id: { in: target.hosts } }] : []), ...(target.groups?.length ? [{ groups: { hasSome: target.groups } }] : [])] },
      orderBy: { name: 'asc' },
    })
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
