import { Injectable, type PipeTransform } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { HostNameSchema } from '@qfleet/protocol';
import { InvalidInput, NotFound } from '../errors/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `/api/hosts/:id/…` takes a host's id or its name, as the CLI does (issue 12, point 9): the
 * dashboard's URLs by name reach the same routes. Runs after the guard, so an unauthenticated
 * caller learns nothing about which names exist. A name is matched exactly, then without case
 * when that finds one host only. Anything shaped like a UUID is taken as an id.
 */
@Injectable()
export class HostRef implements PipeTransform<string, Promise<string>> {
  constructor(private readonly prisma: PrismaService) {}

  async transform(ref: string): Promise<string> {
    if (typeof ref !== 'string' || ref === '' || ref.length > 253) throw new InvalidInput('a host is named by its id or its name', [{ path: 'id', message: 'must be a host id or name' }]);
    // An id is passed on as it is (no query on the path the dashboard polls); the service answers 404 for an unknown one.
    if (UUID.test(ref)) return ref;
    // Neither an id nor a name a host can have (`../../etc`): refused as input, never looked up.
    if (!HostNameSchema.safeParse(ref).success) throw new InvalidInput('a host is named by its id or its name', [{ path: 'id', message: 'must be a host id or a host name' }]);
    const exact = await this.prisma.host.findUnique({ where: { name: ref }, select: { id: true } });
    if (exact) return exact.id;
    const loose = await this.prisma.host.findMany({ where: { name: { equals: ref, mode: 'insensitive' } }, select: { id: true }, take: 2 });
    if (loose.length === 1) return loose[0].id;
    throw new NotFound(`no host with the id or name "${ref}"`);
  }
}
