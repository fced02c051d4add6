import { z } from 'zod';
import { MAX_BULK_HOSTS } from './limits';

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

/**
 * `POST /api/hosts/bulk`: up to MAX_BULK_HOSTS hosts, created all or none. A name given twice
 * is refused at its second place (`hosts[7].name`), as a name the fleet has already is.
 */
export const BulkCreateHostsSchema = z.strictObject({
  hosts: z
    .array(CreateHostSchema)
    .min(1)
    .max(MAX_BULK_HOSTS, `at most ${MAX_BULK_HOSTS} hosts per call; send more in several calls`)
    .superRefine((hosts, ctx) => {
      const first = new Map<string, number>();
      hosts.forEach((h, i) => {
        const seen = first.get(h.name);
        if (seen === undefined) first.set(h.name, i);
        else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${h.name} is given twice (first at hosts[${seen}])` });
      });
    }),
  /** check everything (names free included), create nothing */
  dryRun: z.boolean().optional(),
});
export type BulkCreateHosts = z.infer<typeof BulkCreateHostsSchema>;

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
