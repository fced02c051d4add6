import { z } from 'zod';

/** REST bodies shared by the controller, the dashboard and the CLI. */

export const HostNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'must be letters, digits, dots and dashes');

export const CreateHostSchema = z.strictObject({
  name: HostNameSchema,
  groups: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, _ . -').max(100)).max(50).optional(),
});
export type CreateHost = z.infer<typeof CreateHostSchema>;

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: { path: string; message: string }[];
}

export const DRIFT_POLICIES = ['report', 'enforce'] as const;

export const UpdateHostSchema = z.strictObject({
  groups: CreateHostSchema.shape.groups,
  /** report: drift is shown; enforce: drift is overwritten at once */
  driftPolicy: z.enum(DRIFT_POLICIES).optional(),
});
export type UpdateHost = z.infer<typeof UpdateHostSchema>;
