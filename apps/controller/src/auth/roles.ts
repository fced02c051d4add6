import { SetMetadata } from '@nestjs/common';
import { API_ROLES } from '@qfleet/protocol';

/** The roles, least to most (DESIGN.md "Security"); one list, in libs/protocol. */
export const ROLES = API_ROLES;
export type Role = (typeof ROLES)[number];

export const REQUIRED_ROLE = 'qfleet:required-role';

/** The least role a route needs; routes without it need `viewer`. */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who made a request, for the audit log. */
export interface Actor {
  tokenId: string;
  name: string;
  role: Role;
}

/** How the audit log and the revisions name who did something: the token's name, then its role. */
export function actorLabel(actor: Actor | string): string {
  return typeof actor === 'string' ? actor : `${actor.name} (${actor.role})`;
}
