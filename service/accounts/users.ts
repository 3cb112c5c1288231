// User accounts: create, find, list and disable. Disabling also revokes every session, so a
// disabled user is signed out everywhere at once.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors';
import type { Executor } from '../store/database';
import { isUniqueViolation } from '../store/dialect';
import type { Role, UserRow } from '../store/schema';
import {
  findPublicUserById,
  findPublicUserByName,
  findUserRowByName,
  insertUser,
  listPublicUsers,
  markUserDisabled,
  type PublicUserRow,
  updatePasswordHash,
} from '../store/users';
import { hashPassword } from './passwords';
import { revokeUserSessions } from './sessions';

/** Usernames double as the Docker owner label, so they stay plain: no spaces or control chars. */
export const UsernameSchema = z
  .string({ error: 'the username must be text' })
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'the username must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const PasswordSchema = z
  .string({ error: 'the password must be text' })
  .min(8, 'the password must be at least 8 characters')
  .max(1024, 'the password must be at most 1024 characters')
  .refine((p) => !/[\0\r\n]/.test(p), 'the password must not contain NUL, CR or LF');

function valid<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('BAD_REQUEST', parsed.error.issues[0]?.message ?? 'invalid input');
  }
  return parsed.data;
}

/** A user as other modules see it: never the password hash. */
export type User = PublicUserRow;

export async function createUser(
  db: Executor,
  input: { username: string; password: string; role?: Role },
): Promise<User> {
  const username = valid(UsernameSchema, input.username);
  const password = valid(PasswordSchema, input.password);
  const now = Date.now();
  const user: UserRow = {
    id: randomUUID(),
    username,
    password_hash: await hashPassword(password),
    role: input.role ?? 'user',
    disabled: 0,
    created_at: now,
    updated_at: now,
  };
  try {
    await insertUser(db, user);
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError('CONFLICT', `a user named '${username}' already exists`, { cause: err });
    }
    throw err;
  }
  const { password_hash: _hash, ...visible } = user;
  return visible;
}

/** The full row, hash included: only for verifying a password at login. */
export async function findUserForLogin(
  db: Executor,
  username: string,
): Promise<UserRow | undefined> {
  return findUserRowByName(db, username);
}

export async function findUserByName(db: Executor, username: string): Promise<User | undefined> {
  return findPublicUserByName(db, username);
}

export async function findUserById(db: Executor, id: string): Promise<User | undefined> {
  return findPublicUserById(db, id);
}

export async function listUsers(db: Executor): Promise<User[]> {
  return listPublicUsers(db);
}

/** Replaces a user's password hash (e.g. after needsRehash at login). */
export async function setPasswordHash(
  db: Executor,
  userId: string,
  passwordHash: string,
): Promise<void> {
  await updatePasswordHash(db, userId, passwordHash, Date.now());
}

/** Disables a user and revokes all their sessions; NOT_FOUND if there is no such user. */
export async function disableUser(
  db: Executor,
  username: string,
): Promise<{ user: User; sessionsRevoked: number }> {
  const user = await findUserByName(db, username);
  if (!user) throw new AppError('NOT_FOUND', `there is no user named '${username}'`);
  const now = Date.now();
  await markUserDisabled(db, user.id, now);
  const sessionsRevoked = await revokeUserSessions(db, user.id, now);
  return { user: { ...user, disabled: 1, updated_at: now }, sessionsRevoked };
}
