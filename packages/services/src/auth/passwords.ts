import bcrypt from 'bcryptjs';
import { ServiceUnavailableError } from '../errors.ts';

// argon2id (the library's Algorithm.Argon2id = 2, a const enum that cannot be imported here)
// with the library's default cost parameters.
const ARGON2_OPTIONS = { algorithm: 2 } as const;

// The argon2 binding is a native addon, about 3.5 MiB resident once loaded: it is loaded on the
// first hash or check (a sign-in, a sign-up), not when the API starts.
type Argon2 = typeof import('@node-rs/argon2');
let binding: Promise<Argon2> | undefined;
const loadArgon2 = (): Promise<Argon2> => (binding ??= import('@node-rs/argon2'));

/** One argon2id hash, unbounded: for tools and tests. Request paths go through a PasswordHasher. */
export const hashPassword = async (password: string): Promise<string> => (await loadArgon2()).hash(password, ARGON2_OPTIONS);

/** bcrypt hashes are in databases the original created: they still verify, and are replaced at the next login. */
const isBcrypt = (stored: string) => /^\$2[aby]\$/.test(stored);

export type PasswordCheck = { ok: boolean; needsRehash: boolean };

/** Verifies against argon2id or a legacy bcrypt hash; a legacy hash that matches should be re-hashed. */
export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  // loaded outside the try: a binding that cannot load is an error, not a wrong password
  const argon2 = isBcrypt(stored) ? undefined : await loadArgon2();
  try {
    if (!argon2) return { ok: await bcrypt.compare(password, stored), needsRehash: true };
    return { ok: await argon2.verify(stored, password), needsRehash: false };
  } catch {
    return { ok: false, needsRehash: false }; // a malformed stored hash never matches
  }
}

export const HASHING_BUSY = 'Too many sign-ins at once: try again shortly';

/**
 * At most `concurrency` hashing operations at once; the others wait in line, each for at most
 * `queueTimeoutMs`, then fail with 503 + Retry-After. Each argon2 operation holds a libuv
 * thread and ~19 MiB for tens of milliseconds, so without a bound a login flood (a tRPC batch
 * runs its calls in parallel) would take every thread and stall DNS, file and crypto work.
 */
export class HashingGate {
  private readonly concurrency: number;
  private readonly queueTimeoutMs: number;
  private running = 0;
  private readonly waiting: Array<{ start: () => void; timer: NodeJS.Timeout }> = [];

  constructor({ concurrency, queueTimeoutMs }: { concurrency: number; queueTimeoutMs: number }) {
    this.concurrency = concurrency;
    this.queueTimeoutMs = queueTimeoutMs;
  }

  /** Operations running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) this.running++;
    else await this.wait();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Resolves when a running operation hands its place over (the count of running ones stays). */
  private wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(entry.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(new ServiceUnavailableError(HASHING_BUSY, Math.max(1, Math.ceil(this.queueTimeoutMs / 1000))));
        }, this.queueTimeoutMs),
      };
      this.waiting.push(entry);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.running--;
  }
}

/** Password hashing and checking for the request paths, through one HashingGate per process. */
export class PasswordHasher {
  private readonly gate: HashingGate;
  private dummyHash: Promise<string> | undefined;

  constructor(gate: HashingGate) {
    this.gate = gate;
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => hashPassword(password));
  }

  verify(password: string, stored: string): Promise<PasswordCheck> {
    return this.gate.run(() => verifyPassword(password, stored));
  }

  /** Spends the same time as a real check, so an unknown email cannot be told apart by timing. */
  async verifyAgainstDummy(password: string): Promise<void> {
    this.dummyHash ??= hashPassword('dummy password for timing equalisation');
    const stored = await this.dummyHash;
    const { verify } = await loadArgon2();
    await this.gate.run(() => verify(stored, password).catch(() => false));
  }
}
