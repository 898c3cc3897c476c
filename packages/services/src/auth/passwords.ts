import { hash, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

// argon2id (the library's Algorithm.Argon2id = 2, a const enum that cannot be imported here)
// with the library's default cost parameters.
const ARGON2_OPTIONS = { algorithm: 2 } as const;

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2_OPTIONS);

/** bcrypt hashes come from a database created by the original backend. */
const isBcrypt = (stored: string) => /^\$2[aby]\$/.test(stored);

export type PasswordCheck = { ok: boolean; needsRehash: boolean };

/** Verifies against argon2id or a legacy bcrypt hash; a legacy hash that matches should be re-hashed. */
export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  try {
    if (isBcrypt(stored)) return { ok: await bcrypt.compare(password, stored), needsRehash: true };
    return { ok: await verify(stored, password), needsRehash: false };
  } catch {
    return { ok: false, needsRehash: false }; // a malformed stored hash never matches
  }
}

/** Spends the same time as a real check, so an unknown email cannot be told apart by timing. */
let dummyHash: Promise<string> | undefined;
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword('dummy password for timing equalisation');
  await verify(await dummyHash, password).catch(() => false);
}
