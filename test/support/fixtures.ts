// Small builders for store tests: users with random names, so suites sharing a database never clash.
import { randomBytes } from 'node:crypto';
import { createUser, type User } from '../../service/accounts/users';
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
