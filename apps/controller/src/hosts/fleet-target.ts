import type { FleetTarget } from '@qfleet/protocol';
import type { PrismaService } from '../database/prisma.service';
import { InvalidInput } from '../errors/errors';

/**
 * The hosts a fleet call aims at, by name: the hosts named by id and every host of the
 * groups. A host id that does not exist, or a group no host is in, is refused by its path, so
 * a typo never quietly narrows a rollout.
 */
export async function hostsOfTarget(prisma: PrismaService, target: FleetTarget) {
  if (!target.hosts?.length && !target.groups?.length) throw new InvalidInput('target: give hosts or groups', [{ path: 'target', message: 'give hosts or groups' }]);
  const hosts = await prisma.host.findMany({
    where: { OR: [...(target.hosts?.length ? [{ id: { in: target.hosts } }] : []), ...(target.groups?.length ? [{ groups: { hasSome: target.groups } }] : [])] },
    orderBy: { name: 'asc' },
  });
  const ids = new Set(hosts.map((h) => h.id));
  const inGroups = new Set(hosts.flatMap((h) => h.groups));
  const problems = [
    ...(target.hosts ?? []).flatMap((id, i) => (ids.has(id) ? [] : [{ path: `target.hosts[${i}]`, message: `no host with id ${id}` }])),
    ...(target.groups ?? []).flatMap((g, i) => (inGroups.has(g) ? [] : [{ path: `target.groups[${i}]`, message: `no host is in group ${g}` }])),
  ];
  if (problems.length) throw new InvalidInput(`target: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  return hosts;
}
