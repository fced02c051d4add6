import { z } from 'zod';
import { MAX_BULK_HOSTS } from './limits';
import { DEFAULT_QUEUE_ABOVE, HOST_SORTS, HOST_STATES } from './host-states';
import type { CurrentRevision } from './preconditions';

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
  /** a 412 of a config write with `If-Match`: the revision it is at now, and who saved it */
  current?: CurrentRevision;
}

export const DRIFT_POLICIES = ['report', 'enforce'] as const;

export const UpdateHostSchema = z.strictObject({
  groups: CreateHostSchema.shape.groups,
  /** report: drift is shown; enforce: drift is overwritten at once */
  driftPolicy: z.enum(DRIFT_POLICIES).optional(),
});
export type UpdateHost = z.infer<typeof UpdateHostSchema>;

/** The largest page of `GET /api/hosts`. */
export const MAX_HOST_PAGE = 1000;
export const DEFAULT_HOST_PAGE = 100;

/** `a,b` (or the parameter given twice): the list, blanks dropped. */
const commaList = z.preprocess(
  (v) => (Array.isArray(v) ? v.join(',') : v),
  z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
);

/**
 * `GET /api/hosts?…`: one page of hosts matching every filter given, sorted. With no
 * parameter at all the answer is every host by name (what the CLI and older clients read);
 * with any, `page` and `pageSize` default to 1 and DEFAULT_HOST_PAGE. `state` takes several
 * states, comma-separated: a host matches when any of them holds (host-states.ts).
 */
export const HostListQuerySchema = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_HOST_PAGE).default(DEFAULT_HOST_PAGE),
  /** a substring of the name, any case */
  q: z.string().max(253).optional(),
  /** hosts in this group */
  group: z.string().min(1).max(100).optional(),
  state: commaList.pipe(z.array(z.enum(HOST_STATES, { error: `must be one of ${HOST_STATES.join(', ')}` }))).optional(),
  /** what `state=queue` means: more than this many messages waiting */
  queueAbove: z.coerce.number().int().min(0).default(DEFAULT_QUEUE_ABOVE),
  sort: z.enum(HOST_SORTS).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
});
export type HostListQuery = z.infer<typeof HostListQuerySchema>;

/** The header of a paged `GET /api/hosts` answer: how many hosts match the filters, on every page. */
export const TOTAL_COUNT_HEADER = 'X-Total-Count';

/** `?dryRun=true` on a config write (a host's or a group's, PUT or PATCH): answer what it would do, store nothing. */
export const ConfigWriteQuerySchema = z.strictObject({ dryRun: z.enum(['true', 'false']).optional() });
export type ConfigWriteQuery = z.infer<typeof ConfigWriteQuerySchema>;
