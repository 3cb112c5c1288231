// Small builders for store tests: users with random names, so suites sharing a database never clash.
import { randomBytes, randomUUID } from 'node:crypto';
import { createUser, type User } from '../../service/accounts/users';
import type { SecretOwner } from '../../service/crypto/keyring';
import type { Executor } from '../../service/store/database';

export function randomName(prefix = 'u'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function addTestUser(
  db: Executor,
  options: { username?: string; password?: string; role?: 'admin' | 'user' } = {},
): Promise<User> {
  return createUser(db, {
    username: options.username ?? randomName(),
    password: options.password ?? 'correct horse battery',
    role: options.role ?? 'user',
  });
}

/** Many users at once without hashing a password each (rotation and bulk tests). */
export async function addRawUsers(db: Executor, count: number): Promise<string[]> {
  const now = Date.now();
  const ids: string[] = [];
  for (let start = 0; start < count; start += 200) {
    const rows = Array.from({ length: Math.min(200, count - start) }, () => {
      const id = randomUUID();
      ids.push(id);
      return {
        id,
        username: randomName('bulk'),
        password_hash: 'scrypt$disabled',
        role: 'user' as const,
        disabled: 0,
        created_at: now,
        updated_at: now,
      };
    });
    await db.insertInto('users').values(rows).execute();
  }
  return ids;
}

/** The row a secret is sealed for in keyring tests: a GitHub token named default, no URL. */
export function owner(userId: string, id: string): SecretOwner {
  return {
    id,
    user_id: userId,
    type: 'git_token',
    provider: 'github',
    name: 'default',
    url: null,
    env_var: null,
  };
}
