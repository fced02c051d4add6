import { createContext, useContext } from 'react';
import type { ApiRole, WhoAmI } from './api';

/**
 * The signed-in token's name and role (`GET /api/whoami`): pages offer only the buttons that
 * role may use, so a viewer sees read-only pages rather than buttons that answer 403.
 */
export const SessionContext = createContext<WhoAmI | undefined>(undefined);

/** Every role with its description; a Record, so a role added in libs/protocol fails the build here. */
export const ROLE_INFO: Record<ApiRole, string> = {
  viewer: 'reads everything',
  operator: 'also changes documents, runs rollouts, actions and queue operations',
  admin: 'also manages tokens and hosts',
};
const ORDER = Object.keys(ROLE_INFO) as ApiRole[];

/** Whether the signed-in token has at least `need`; false until whoami answered. */
export function useCan(need: ApiRole): boolean {
  const me = useContext(SessionContext);
  return me !== undefined && ORDER.indexOf(me.role) >= ORDER.indexOf(need);
}

export function useSession(): WhoAmI | undefined {
  return useContext(SessionContext);
}
