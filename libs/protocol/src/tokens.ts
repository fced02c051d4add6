import { z } from 'zod';

/**
 * API tokens for people and scripts (DESIGN.md "Security"): viewer reads, operator changes,
 * admin also manages tokens and hosts. Each role includes the ones before it.
 */
export const API_ROLES = ['viewer', 'operator', 'admin'] as const;
export const ApiRoleSchema = z.enum(API_ROLES);
export type ApiRole = z.infer<typeof ApiRoleSchema>;

export const CreateApiTokenSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  role: ApiRoleSchema,
});
export type CreateApiToken = z.infer<typeof CreateApiTokenSchema>;

/** A token as listed: never its secret, which only the creating answer shows. */
export interface ApiTokenView {
  id: string;
  name: string;
  role: ApiRole;
  createdAt: string;
  lastUsed: string | null;
}

export interface CreatedApiToken {
  id: string;
  name: string;
  role: ApiRole;
  /** shown once; the controller keeps only its sha256 */
  token: string;
}

/** `GET /api/whoami`: the calling token, so a client can offer only what its role allows. */
export interface WhoAmI {
  name: string;
  role: ApiRole;
}
