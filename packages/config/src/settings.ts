import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { readEnvFile } from './env-file.ts';

export const DEFAULT_SECRET_KEY = 'change-me-in-production-use-openssl-rand-hex-32';
const ENVIRONMENTS = ['development', 'local', 'staging', 'production'] as const;

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'expected a boolean (true/false)')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number({ error: 'expected an integer' }).int('expected an integer').min(min).max(max);
const float = (min: number, max: number) => z.coerce.number({ error: 'expected a number' }).min(min).max(max);
const jsonStringList = z.string().transform((v, ctx) => {
  try {
    const parsed: unknown = JSON.parse(v);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
  } catch {
    // a plain comma-separated list is accepted too
    if (!v.trim().startsWith('['))
      return v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
  ctx.addIssue({ code: 'custom', message: 'expected a JSON list of strings' });
  return z.NEVER;
});
const url = z.string().url('expected a URL');

/** A name server as dns.Resolver#setServers takes it: an address with an optional port (`1.1.1.1:53`, `[2001:db8::1]:53`). */
function isNameServer(entry: string): boolean {
  if (isIP(entry)) return true;
  const withPort = /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):(\d{1,5})$/i.exec(entry);
  if (!withPort || Number(withPort[3]) > 65535) return false;
  return withPort[1] !== undefined ? isIP(withPort[1]) === 6 : isIP(withPort[2]!) === 4;
}
const nameServers = jsonStringList.refine(
  (list) => list.every(isNameServer),
  'expected IP addresses, each with an optional port (1.1.1.1:53, [2001:db8::1]:53)',
);

/** An IP address, or a CIDR range whose prefix length fits its family (the API would not start on `/33`). */
function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * The tools whose calls wait for the user's approval: `all`, or a comma list of tool names (the
 * characters OpenAI allows in a function name). Whether each name is a tool of the agent is checked
 * where the tools are known, when the services are built.
 */
const approvalTools = z.string().transform((v, ctx): 'all' | string[] => {
  if (v.trim().toLowerCase() === 'all') return 'all';
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.every((name) => /^[\w-]{1,64}$/.test(name))) return names;
  ctx.addIssue({ code: 'custom', message: 'expected "all" or a comma list of tool names (letters, digits, _ and -)' });
  return z.NEVER;
});

/**
 * Which proxies in front of the API to believe about the client's address (X-Forwarded-For):
 * `false` (none, the default), a hop count, or a comma list of addresses and CIDR ranges.
 * `true` (believe anyone) is refused: a client could then pick its own rate-limit key.
 */
const trustProxy = z.string().transform((v, ctx): false | number | string[] => {
  const value = v.trim();
  if (['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length && entries.every(isAddressOrRange)) return entries;
  ctx.addIssue({ code: 'custom', message: 'expected false, a hop count, or a comma list of addresses/CIDR ranges' });
  return z.NEVER;
});

/**
 * Every variable the backend reads, with its default. Names and defaults are the original's, so an
 * existing `.env` or deployment keeps working (docs/configuration.md; contract section 4).
 */
const EnvSchema = z.object({
  PROJECT_NAME: z.string().default('my_project'),
  API_V1_STR: z.string().startsWith('/').default('/api/v1'),
  DEBUG: bool.default(false),
  ENVIRONMENT: z.enum(ENVIRONMENTS).default('local'),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(1, 65535).default(8000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_BUFFER_MAX_BYTES: int(65_536, 1024 ** 3).default(16 * 1024 * 1024),

  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').default(DEFAULT_SECRET_KEY),
  ACCESS_TOKEN_EXPIRE_MINUTES: int(1).default(30),
  REFRESH_TOKEN_EXPIRE_MINUTES: int(1).default(10080),
  ALGORITHM: z.literal('HS256').default('HS256'),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// URL')
    .optional(),
  POSTGRES_HOST: z.string().default('localhost'),
  POSTGRES_PORT: int(1, 65535).default(5432),
  POSTGRES_USER: z.string().default('postgres'),
  POSTGRES_PASSWORD: z.string().default(''),
  POSTGRES_DB: z.string().default('my_project'),
  DB_POOL_SIZE: int(1).default(5),
  DB_MAX_OVERFLOW: int(0).default(10),
  DB_POOL_TIMEOUT: int(1).default(30),
  EMBEDDED_DATA_DIR: z.string().default('./.data/pg'),

  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  REDIS_HOST: z.string().default('localhost'),
  REDIS_PORT: int(1, 65535).default(6379),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_DB: int(0, 15).default(0),

  RATE_LIMIT_ENABLED: bool.default(true),
  RATE_LIMIT_REQUESTS: int(1).default(100),
  RATE_LIMIT_PERIOD: int(1).default(60),
  RATE_LIMIT_AUTH_REQUESTS: int(1).default(10),
  RATE_LIMIT_AUTH_PERIOD: int(1).default(60),
  TRPC_MAX_BATCH_SIZE: int(1, 1000).default(10),
  LOGIN_MAX_FAILURES: int(1).default(5),
  LOGIN_FAILURE_WINDOW_SECONDS: int(1).default(900),
  PASSWORD_HASH_CONCURRENCY: int(1, 64).default(2),
  PASSWORD_HASH_QUEUE_TIMEOUT_SECONDS: float(0.01, 300).default(5),
  AUTH_CACHE_SIZE: int(1, 1_000_000).default(10_000),
  AUTH_CACHE_TTL_SECONDS: float(0, 3600).default(30),
  TRUST_PROXY: trustProxy.default(false),

  TASKIQ_BROKER_URL: z.string().default('redis://localhost:6379/1'),
  TASKIQ_RESULT_BACKEND: z.string().default('redis://localhost:6379/1'),
  WORKER_CONCURRENCY: int(1, 1000).default(5),
  WEBHOOK_CONCURRENCY: int(1, 1000).default(100),
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: int(1, 1000).default(20),
  JOB_LEASE_SECONDS: float(1, 3600).default(30),
  WORKER_SHUTDOWN_GRACE_SECONDS: int(0, 3600).default(20),
  JOB_QUEUE_PREFIX: z
    .string()
    .regex(/^[\w.-]+$/, 'expected letters, digits, _ . or -')
    .default('bull'),
  OUTBOX_POLL_INTERVAL_MS: int(10, 60_000).default(250),
  JOB_POLL_INTERVAL_MS: int(10, 60_000).default(250),
  OUTBOX_BATCH_SIZE: int(1, 1000).default(100),
  MAINTENANCE_INTERVAL_SECONDS: int(1).default(3600),
  SESSION_RETENTION_DAYS: int(1).default(30),
  DELIVERY_RETENTION_DAYS: int(1).default(30),

  GOOGLE_CLIENT_ID: z.string().default(''),
  GOOGLE_CLIENT_SECRET: z.string().default(''),
  GOOGLE_REDIRECT_URI: url.default('http://localhost:8000/api/v1/oauth/google/callback'),
  GOOGLE_AUTH_URL: url.default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: url.default('https://oauth2.googleapis.com/token'),
  GOOGLE_USERINFO_URL: url.default('https://openidconnect.googleapis.com/v1/userinfo'),
  FRONTEND_URL: url.default('http://localhost:3000'),
  OAUTH_LINK_EXISTING_ACCOUNTS: bool.default(false),

  OPENAI_API_KEY: z.string().default(''),
  OPENAI_BASE_URL: url.optional(),
  AI_MODEL: z.string().default('gpt-4o-mini'),
  AI_TEMPERATURE: float(0, 2).default(0.7),
  AI_FRAMEWORK: z.string().default('pydantic_ai'),
  LLM_PROVIDER: z.string().default('openai'),
  AGENT_TURNS_PER_MINUTE: int(1).default(20),
  AGENT_MAX_SOCKETS_PER_USER: int(1, 1000).default(5),
  AGENT_MAX_HISTORY_MESSAGES: int(0, 10_000).default(20),
  AGENT_MAX_HISTORY_CHARS: int(0).default(32_000),
  AGENT_MAX_OUTPUT_TOKENS: int(1).default(2048),
  AGENT_MAX_MODEL_REQUESTS: int(1, 100).default(10),
  AGENT_DAILY_TOKEN_QUOTA: int(0).default(0),
  AGENT_IDLE_TIMEOUT_SECONDS: float(0.1, 86_400).default(300),
  AGENT_PING_INTERVAL_SECONDS: float(0.1, 3600).default(30),
  AGENT_MAX_BUFFERED_BYTES: int(1024, 64 * 1024 * 1024).default(256 * 1024),
  AGENT_CONTINUE_ON_DISCONNECT: bool.default(true),
  AGENT_RESUME_TTL_SECONDS: int(1, 7 * 86_400).default(600),
  AGENT_APPROVAL_TOOLS: approvalTools.default([]),
  // at most an hour: a paused turn's kept events outlast a quiet hour (turn-log-redis.ts RUNNING_GRACE_MS)
  AGENT_APPROVAL_TIMEOUT_SECONDS: int(1, 3600).default(300),
  AGENT_RESUME_MAX_TURNS: int(1, 1_000_000).default(1000),
  CONVERSATION_DETAIL_MAX_MESSAGES: int(1, 10_000).default(100),

  WEBHOOK_ALLOW_PRIVATE_URLS: bool.optional(),
  WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(5),
  WEBHOOK_TIMEOUT_SECONDS: float(0.1, 300).default(10),
  WEBHOOK_RETRY_BASE_DELAY_MS: int(1).default(30_000),
  WEBHOOK_RETRY_MAX_DELAY_MS: int(1).default(3_600_000),
  WEBHOOK_DNS_TIMEOUT_SECONDS: float(0.01, 60).default(5),
  WEBHOOK_DNS_SERVERS: nameServers.default([]),

  CORS_ORIGINS: jsonStringList.default(['http://localhost:3000', 'http://localhost:8080']),
  CORS_ALLOW_CREDENTIALS: bool.default(true),
  CORS_ALLOW_METHODS: jsonStringList.default(['*']),
  CORS_ALLOW_HEADERS: jsonStringList.default(['*']),

  // Prometheus metrics on a port of their own, never on the public router (docs/observability.md).
  METRICS_ENABLED: bool.default(true),
  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_PORT: int(0, 65535).default(9464),

  // OpenTelemetry's standard variables, read here so a bad value fails at start like any other;
  // the SDK (loaded only when an endpoint is set) reads them, and the ones not listed, itself.
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_TRACES_EXPORTER: z.string().default('otlp'),
  OTEL_SERVICE_NAME: z.string().optional(),
  OTEL_TRACES_SAMPLER: z.string().default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.string().optional(),

  LOGFIRE_TOKEN: z.string().optional(),
  LOGFIRE_SERVICE_NAME: z.string().default('my_project'),
  LOGFIRE_ENVIRONMENT: z.string().default('development'),
});

export type Env = z.infer<typeof EnvSchema>;

/** Where the data lives: a PostgreSQL server, or PGlite in EMBEDDED_DATA_DIR when no DATABASE_URL / POSTGRES_* is set. */
export type DatabaseTarget = { kind: 'postgresql'; url: string } | { kind: 'pglite'; dataDir: string };

export type Settings = Env & {
  /** DATABASE_URL, or one built from the POSTGRES_* parts (also when the database is embedded, for tools that ask). */
  databaseUrl: string;
  database: DatabaseTarget;
  /** REDIS_URL, or one built from the REDIS_* parts. */
  redisUrl: string;
  /** False when no REDIS_URL / REDIS_* / TASKIQ_BROKER_URL is set: jobs then live in the database, rate limits in memory. */
  redisEnabled: boolean;
  webhookAllowPrivateUrls: boolean;
  docsEnabled: boolean;
  isProduction: boolean;
  /** Traces are exported: an OTLP endpoint is set, the SDK is not disabled and the exporter is not `none`. */
  tracingEnabled: boolean;
};

export class SettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

function crossChecks(env: Env): string[] {
  const problems: string[] = [];
  if (env.ENVIRONMENT === 'production') {
    if (env.SECRET_KEY === DEFAULT_SECRET_KEY) problems.push('SECRET_KEY: the default key cannot be used when ENVIRONMENT=production');
    if (env.CORS_ORIGINS.includes('*')) problems.push('CORS_ORIGINS: "*" is not allowed when ENVIRONMENT=production');
  }
  return problems;
}

const enc = encodeURIComponent;

// Setting any of these selects the real server; with none set, the embedded part is used.
const POSTGRES_VARIABLES = ['DATABASE_URL', 'POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB'];
const REDIS_VARIABLES = ['REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_DB', 'TASKIQ_BROKER_URL'];
/** The variables that select PostgreSQL and Redis; with all of them unset (or empty) the embedded parts are used. */
export const SERVER_VARIABLES: readonly string[] = [...POSTGRES_VARIABLES, ...REDIS_VARIABLES];
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|API_KEY|_URL$/;

/** One line per bad variable; values of secret-bearing variables (and URLs, which may hold passwords) are never echoed. */
function describeIssue(name: string, message: string, raw: Record<string, string | undefined>): string {
  const value = raw[name];
  if (value === undefined || SECRET_NAME.test(name)) return `${name}: ${message}`;
  return `${name}: ${message} (got ${JSON.stringify(value)})`;
}

/**
 * Validates the environment (plus `.env`) and returns the settings, or throws one SettingsError
 * that lists every bad variable. Empty values count as unset, so `KEY=` in `.env` and compose's
 * `${KEY:-}` leave the default in force.
 */
export function loadSettings(source: Record<string, string | undefined> = { ...readEnvFile(), ...process.env }): Settings {
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SettingsError(parsed.error.issues.map((issue) => describeIssue(String(issue.path[0]), issue.message, raw)));
  }
  const env = parsed.data;
  const isSet = (names: string[]) => names.some((name) => name in raw);
  const problems = crossChecks(env);
  if (problems.length) throw new SettingsError(problems);
  const password = env.POSTGRES_PASSWORD ? `:${enc(env.POSTGRES_PASSWORD)}` : '';
  const redisAuth = env.REDIS_PASSWORD ? `:${enc(env.REDIS_PASSWORD)}@` : '';
  const databaseUrl =
    env.DATABASE_URL ??
    `postgresql://${enc(env.POSTGRES_USER)}${password}@${env.POSTGRES_HOST}:${env.POSTGRES_PORT}/${enc(env.POSTGRES_DB)}`;
  return {
    ...env,
    databaseUrl,
    database: isSet(POSTGRES_VARIABLES)
      ? { kind: 'postgresql', url: databaseUrl }
      : // relative to where the command was typed: pnpm runs package scripts in the package's folder but sets INIT_CWD
        { kind: 'pglite', dataDir: path.resolve(raw.INIT_CWD ?? process.cwd(), env.EMBEDDED_DATA_DIR) },
    redisEnabled: isSet(REDIS_VARIABLES),
    redisUrl: env.REDIS_URL ?? `redis://${redisAuth}${env.REDIS_HOST}:${env.REDIS_PORT}/${env.REDIS_DB}`,
    webhookAllowPrivateUrls: env.WEBHOOK_ALLOW_PRIVATE_URLS ?? env.ENVIRONMENT === 'local',
    docsEnabled: env.ENVIRONMENT !== 'production',
    isProduction: env.ENVIRONMENT === 'production',
    tracingEnabled:
      !env.OTEL_SDK_DISABLED &&
      env.OTEL_TRACES_EXPORTER !== 'none' &&
      (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) !== undefined,
  };
}

let cached: Settings | undefined;
/** The process-wide settings, loaded once. */
export function getSettings(): Settings {
  cached ??= loadSettings();
  return cached;
}
