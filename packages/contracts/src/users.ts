import { z } from 'zod';
import { DateTime, idParam, PageQuery, pageOf, stripped, UuidString } from './common.ts';

export const Role = z.enum(['admin', 'user']).meta({ id: 'UserRole' });
export type Role = z.infer<typeof Role>;

/** Email: trimmed, ≤ 255 (the column), the domain part lower-cased since domains ignore case (`a@Example.COM` is `a@example.com`). */
export const Email = stripped(255)
  .pipe(z.email())
  .overwrite((email) => {
    const at = email.lastIndexOf('@');
    return email.slice(0, at) + email.slice(at).toLowerCase();
  })
  .meta({ format: 'email', example: 'user@example.com' });

/**
 * 8..128 characters after stripping surrounding whitespace: the bcrypt hashes a database of the
 * original holds were made from the stripped password, so those logins keep working.
 */
export const Password = z.string().trim().min(8).max(128).meta({ format: 'password', example: 'correct horse battery' });

export const UserRead = z
  .object({
    id: UuidString,
    email: z.string(),
    full_name: z.string().nullable(),
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    role: Role,
    created_at: DateTime,
    updated_at: DateTime.nullable(),
  })
  .meta({ id: 'UserRead' });
export type UserRead = z.infer<typeof UserRead>;

export const UserCreate = z
  .object({
    email: Email,
    password: Password,
    full_name: stripped(255).nullable().optional(),
    role: Role.optional().meta({ description: 'Accepted for compatibility and ignored: new accounts are always "user"' }),
  })
  .meta({ id: 'UserCreate' });
export type UserCreate = z.infer<typeof UserCreate>;

/** Partial update; `role` is applied only when an admin sends it. */
export const UserUpdate = z
  .object({
    email: Email.optional(),
    password: Password.optional(),
    full_name: stripped(255).nullable().optional(),
    is_active: z.boolean().optional(),
    role: Role.optional(),
  })
  .meta({ id: 'UserUpdate' });
export type UserUpdate = z.infer<typeof UserUpdate>;

export const UserIdParam = idParam('user_id');
export const UserUpdateInput = UserIdParam.extend(UserUpdate.shape);
export const UserPage = pageOf(UserRead, 'Page_UserRead_');
export const UserListQuery = PageQuery;
