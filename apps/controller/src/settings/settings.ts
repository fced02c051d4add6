import path from 'node:path';
import { z } from 'zod';

/**
 * The controller's settings, read once from the environment and validated at start-up:
 * a bad value stops the process with a message naming it.
 */
const SettingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  QFLEET_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  // Scale-out: replicas on one PostgreSQL share socket.io events through Redis (DESIGN.md "Data and scale").
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  // Replicas share events under this name: one name per fleet on a shared Redis.
  QFLEET_REDIS_KEY: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be letters, digits, _ . : -').default('qfleet'),
  QFLEET_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // How long the controller waits for an agent's acknowledgement of config.apply.
  QFLEET_APPLY_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  // Events one agent may send per minute (hello, report, queue.stats…); more and it is refused.
  QFLEET_AGENT_EVENTS_PER_MINUTE: z.coerce.number().int().positive().default(600),
  // Agents connected at once at most; unset: derived from the open-files limit (agents/admission.ts).
  QFLEET_MAX_AGENTS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
  // Agent handshakes admitted per second (a token bucket); over it an agent is told to retry later
  // and when: the next free slot (agents/admission.ts).
  QFLEET_AGENT_ADMIT_PER_SECOND: z.coerce.number().positive().default(1000),
  // REST requests per minute: per API token, and per client address for requests without a
  // valid token (public routes, missing or unknown tokens). Over it: 429 with Retry-After.
  QFLEET_RATE_LIMIT_TOKEN: z.coerce.number().int().positive().default(6000),
  QFLEET_RATE_LIMIT_ANONYMOUS: z.coerce.number().int().positive().default(600),
  // /metrics needs a viewer token on the main port; set a port to also serve it without one
  // (for Prometheus), on QFLEET_METRICS_HOST (loopback unless told otherwise).
  QFLEET_METRICS_PORT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(65535).optional()),
  QFLEET_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // The Swagger UI (/api/docs) is served only when asked for; /api/openapi.json takes a token.
  QFLEET_API_DOCS: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
  // HTTPS and WSS: PEM files of the server's private key and certificate (chain), both or neither.
  QFLEET_TLS_KEY: z.string().min(1).optional(),
  QFLEET_TLS_CERT: z.string().min(1).optional(),
  // warn: a start prints its address and, the first time, the admin token, not Nest's route table (issue 12).
  QFLEET_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('warn'),
  // Program deliveries operators may write (issue 10, hole 5): absolute paths, comma-separated.
  QFLEET_PROGRAM_ALLOWLIST: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^\/[A-Za-z0-9_./+-]*$/, 'must be absolute program paths without blanks, comma-separated').refine((p) => !p.split('/').includes('..'), 'must not hold ..'))),
  // Operators may add or alter users/assign entries (which uid mail is delivered as); admins only by default.
  QFLEET_OPERATOR_ASSIGNMENTS: z.enum(['0', '1', 'false', 'true', '']).default('0').transform((v) => v === '1' || v === 'true'),
});

export interface Settings {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  redisKey: string;
  adminToken?: string;
  applyTimeoutMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** who may write program deliveries and assignments besides admins */
  privileged: { programAllowlist: string[]; operatorAssignments: boolean };
  agentEventsPerMinute: number;
  /** undefined: derived from the open-files limit */
  maxAgents?: number;
  agentAdmitPerSecond: number;
  rateLimitToken: number;
  rateLimitAnonymous: number;
  metricsPort?: number;
  metricsHost: string;
  apiDocs: boolean;
  tls?: { keyFile: string; certFile: string };
}

export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const parsed = SettingsSchema.safeParse(env);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`bad setting: ${msg}`);
  }
  const s = parsed.data;
  if (!s.QFLEET_TLS_KEY !== !s.QFLEET_TLS_CERT)
    throw new Error(`bad setting: ${s.QFLEET_TLS_KEY ? 'QFLEET_TLS_CERT' : 'QFLEET_TLS_KEY'}: HTTPS needs both QFLEET_TLS_KEY and QFLEET_TLS_CERT`);
  return {
    port: s.PORT,
    host: s.HOST,
    dataDir: path.resolve(s.QFLEET_DATA_DIR),
    databaseUrl: s.DATABASE_URL,
    redisUrl: s.REDIS_URL,
    redisKey: s.QFLEET_REDIS_KEY,
    adminToken: s.QFLEET_ADMIN_TOKEN,
    applyTimeoutMs: s.QFLEET_APPLY_TIMEOUT_MS,
    logLevel: s.QFLEET_LOG_LEVEL,
    privileged: { programAllowlist: s.QFLEET_PROGRAM_ALLOWLIST, operatorAssignments: s.QFLEET_OPERATOR_ASSIGNMENTS },
    agentEventsPerMinute: s.QFLEET_AGENT_EVENTS_PER_MINUTE,
    maxAgents: s.QFLEET_MAX_AGENTS,
    agentAdmitPerSecond: s.QFLEET_AGENT_ADMIT_PER_SECOND,
    rateLimitToken: s.QFLEET_RATE_LIMIT_TOKEN,
    rateLimitAnonymous: s.QFLEET_RATE_LIMIT_ANONYMOUS,
    metricsPort: s.QFLEET_METRICS_PORT,
    metricsHost: s.QFLEET_METRICS_HOST,
    apiDocs: s.QFLEET_API_DOCS,
    tls: s.QFLEET_TLS_KEY && s.QFLEET_TLS_CERT ? { keyFile: path.resolve(s.QFLEET_TLS_KEY), certFile: path.resolve(s.QFLEET_TLS_CERT) } : undefined,
  };
}
