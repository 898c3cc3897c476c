// User creation shared by `user create` and `user create-admin`: missing values are asked for,
// and everything goes through the same contract schemas and service as registration.

import type { z } from 'zod';
import type { Role, UserRead } from '@personal-automations/contracts';
import type { ServiceContext } from './base.ts';
import { CliError } from './errors.ts';
import type { Check, Prompter } from './prompts.ts';

export const ROLES = ['user', 'admin'] as const satisfies readonly Role[];

const problemOf = (error: z.ZodError, what: string) => `invalid ${what}: ${error.issues[0]?.message ?? 'invalid value'}`;

/** The contract schema as a prompt check: null when valid, else the first problem. */
const checkWith =
  (schema: z.ZodType, what: string): Check =>
  (value) => {
    const result = schema.safeParse(value);
    return result.success ? null : problemOf(result.error, what);
  };

/** Parses with the contract schema, or ends the command with one line. */
export function parseOrFail<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new CliError(`Error: ${problemOf(result.error, what)}`);
  return result.data;
}

export type NewUser = { email?: string | undefined; password?: string | undefined; role?: Role | undefined; superuser: boolean };

/**
 * Asks for whatever `given` lacks, then registers the user. The role is asked for (when
 * `askRole`) only in an interactive creation, i.e. when the email or password was asked for too:
 * `--email x --password y` alone makes a plain user without waiting on stdin.
 */
export async function createUser(ctx: ServiceContext, prompts: Prompter, given: NewUser, askRole: boolean): Promise<UserRead> {
  const { Email, Password } = await import('@personal-automations/contracts');
  const asksRole = askRole && (given.email === undefined || given.password === undefined);
  // flags are checked before anything is asked or looked up
  const givenEmail = given.email === undefined ? undefined : parseOrFail(Email, given.email, 'email');
  const givenPassword = given.password === undefined ? undefined : parseOrFail(Password, given.password, 'password');
  const email = givenEmail ?? parseOrFail(Email, await prompts.input('Email', { check: checkWith(Email, 'email') }), 'email');
  // before asking for a password: a taken email (or an unreachable database) is known now
  if (await ctx.services.users.findByEmail(email)) throw new CliError(`User already exists: ${email}`);
  const password = givenPassword ?? parseOrFail(Password, await prompts.newPassword(checkWith(Password, 'password')), 'password');
  const role =
    given.role ??
    (asksRole
      ? await prompts.select(
          'Role',
          ROLES.map((r) => ({ name: r, value: r })),
          'user',
        )
      : 'user');
  try {
    return await ctx.services.users.register({ email, password }, { role, isSuperuser: given.superuser });
  } catch (error) {
    // created by someone else while the questions were being answered
    if ((error as { code?: unknown }).code === 'ALREADY_EXISTS') throw new CliError(`User already exists: ${email}`);
    throw error;
  }
}

export const describeUser = (user: UserRead) =>
  `User created: ${user.email} (id ${user.id}, role ${user.role}${user.is_superuser ? ', superuser' : ''})`;
