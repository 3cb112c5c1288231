// The users table: accounts with their password hashes (service/accounts/users.ts validates,
// hashes and decides; disabling also revokes sessions there). Every statement on the table.
import type { Executor } from './database';
import type { UserRow } from './schema';

/** A user's row without the password hash: what every finder but findUserRowByName returns. */
export type PublicUserRow = Omit<UserRow, 'password_hash'>;

const PUBLIC_COLUMNS = ['id', 'username', 'role', 'disabled', 'created_at', 'updated_at'] as const;

/** Inserts a user; a second user of the same name is a unique violation (thrown as it is). */
export async function insertUser(db: Executor, row: UserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

/** The full row, hash included: only for verifying a password at sign-in. */
export async function findUserRowByName(
  db: Executor,
  username: string,
): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function findPublicUserByName(
  db: Executor,
  username: string,
): Promise<PublicUserRow | undefined> {
  return db
    .selectFrom('users')
    .select(PUBLIC_COLUMNS)
    .where('username', '=', username)
    .executeTakeFirst();
}

export async function findPublicUserById(
  db: Executor,
  id: string,
): Promise<PublicUserRow | undefined> {
  return db.selectFrom('users').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Every user by name. */
export async function listPublicUsers(db: Executor): Promise<PublicUserRow[]> {
  return db.selectFrom('users').select(PUBLIC_COLUMNS).orderBy('username').execute();
}

export async function updatePasswordHash(
  db: Executor,
  userId: string,
  passwordHash: string,
  updatedAt: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: updatedAt })
    .where('id', '=', userId)
    .execute();
}

/** Marks a user disabled. */
export async function markUserDisabled(
  db: Executor,
  userId: string,
  updatedAt: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ disabled: 1, updated_at: updatedAt })
    .where('id', '=', userId)
    .execute();
}

/** How many users there are. */
export async function countUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
