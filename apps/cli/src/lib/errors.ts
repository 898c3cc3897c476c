// Every failure reaches the terminal as one line (plus the stack when DEBUG is set), whatever
// threw it: the CLI's own errors, bad settings, the database, the services, Prisma.

/** A failure the user can act on: its message is printed as is. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

type ErrorLike = Error & {
  code?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: string; host?: string; port?: number; db?: string } } };
  errors?: ErrorLike[];
  address?: string;
  port?: number;
  oclif?: { exit?: number };
};

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET']);

/** True for DEBUG=1/true/yes/on (the project's boolean spelling). */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.DEBUG?.trim().toLowerCase();
  return !!value && !['0', 'false', 'no', 'off'].includes(value);
}

/** The last non-blank line of a message or of a child's stderr, trimmed: the part a one-line error shows. */
export const lastLine = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1) ?? '';

/** The one line to print for `error`, and the exit code. */
export function describeError(error: unknown): { message: string; exitCode: number } {
  if (!(error instanceof Error)) return { message: `Error: ${String(error)}`, exitCode: 1 };
  const err = error as ErrorLike;
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err.name === 'SettingsError') return { message: err.message, exitCode: 1 };
  if (err.name === 'EmbeddedDatabaseInUseError') return { message: `Error: ${err.message}`, exitCode: 1 };
  if (err.name === 'ExitPromptError' || err.name === 'AbortPromptError') return { message: 'Aborted.', exitCode: 1 };
  // oclif's parse errors (unknown flag, bad value): usage errors, exit 2 as in other CLIs
  if (typeof err.oclif?.exit === 'number') return { message: usageError(err.message), exitCode: err.oclif.exit };
  const connection = connectionProblem(err);
  if (connection) return { message: `Error: ${connection}`, exitCode: 1 };
  if (err.code === 'P2021') {
    return { message: 'Error: the database is not migrated (a table is missing): run `personal_automations db upgrade`', exitCode: 1 };
  }
  // Prisma client errors start with an "Invalid `prisma.x()` invocation" preamble; the cause is last
  return { message: `Error: ${lastLine(err.message) || err.name}`, exitCode: 1 };
}

/** oclif's multi-line parse error as one line. */
function usageError(message: string): string {
  const problems = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred:?$/.test(l) && !/^See more help with --help$/.test(l));
  return `Error: ${problems
    .join('; ')
    .replace(/:; /g, ': ')
    .replace(/\s{2,}/g, ' ')} (see --help)`;
}

/** "Cannot reach the database server at host:port" and the like, from Prisma or pg errors. */
function connectionProblem(err: ErrorLike): string | null {
  const cause = err.meta?.driverAdapterError?.cause;
  if (err.code === 'P1001' || cause?.kind === 'DatabaseNotReachable') {
    return `cannot reach the database server${cause?.host ? ` at ${cause.host}:${cause.port}` : ''}`;
  }
  if (err.code === 'P1003' || err.code === '3D000' || cause?.kind === 'DatabaseDoesNotExist') {
    return `${lastLine(err.message)} (create it with \`personal_automations db init\`)`;
  }
  if (err.code === '28P01' || err.code === '28000') return `cannot log in to the database: ${err.message}`;
  // pg's connect errors: one per address tried (IPv4 and IPv6), bundled in an AggregateError
  const inner = err.errors?.find((e) => typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) ?? err;
  if (typeof inner.code === 'string' && CONNECTION_CODES.has(inner.code)) {
    const where = inner.address ? ` at ${inner.address}${inner.port ? `:${inner.port}` : ''}` : '';
    return `cannot reach the database server${where} (${inner.code})`;
  }
  return null;
}
