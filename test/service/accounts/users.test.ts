import assert from 'node:assert/strict';
import { createSession, resolveSession } from '../../../service/accounts/sessions';
import {
  createUser,
  disableUser,
  findUserById,
  findUserByName,
  findUserForLogin,
  listUsers,
} from '../../../service/accounts/users';
import { verifyPassword } from '../../../service/accounts/passwords';
import { AppError } from '../../../service/errors';
import { forEachDialect } from '../../support/databases';
import { randomName } from '../../support/fixtures';

const isCode = (code: string) => (err: unknown) => err instanceof AppError && err.code === code;

forEachDialect('accounts/users', (ctx) => {
  it('creates a user with a hashed password and finds it by name and id', async () => {
    const name = randomName();
    const user = await createUser(ctx().db, {
      username: name,
      password: 'a long password',
      role: 'admin',
    });
    assert.equal(user.role, 'admin');
    assert.equal('password_hash' in user, false);
    assert.deepEqual(await findUserByName(ctx().db, name), user);
    assert.deepEqual(await findUserById(ctx().db, user.id), user);
    const full = await findUserForLogin(ctx().db, name);
    assert.ok(full && (await verifyPassword('a long password', full.password_hash)));
    const listed = await listUsers(ctx().db);
    assert.ok(listed.some((u) => u.id === user.id));
    assert.ok(listed.every((u) => !('password_hash' in u)));
  });

  it('refuses a taken username with CONFLICT and bad input with BAD_REQUEST', async () => {
    const name = randomName();
    await createUser(ctx().db, { username: name, password: 'password-1' });
    await assert.rejects(
      createUser(ctx().db, { username: name, password: 'password-2' }),
      isCode('CONFLICT'),
    );
    for (const bad of ['', 'has space', 'new\nline', '-dash-first', 'x'.repeat(65)]) {
      await assert.rejects(
        createUser(ctx().db, { username: bad, password: 'password-1' }),
        isCode('BAD_REQUEST'),
      );
    }
    await assert.rejects(
      createUser(ctx().db, { username: randomName(), password: 'short' }),
      isCode('BAD_REQUEST'),
    );
  });

  it('disabling a user revokes its sessions; an unknown name is NOT_FOUND', async () => {
    const user = await createUser(ctx().db, { username: randomName(), password: 'password-1' });
    const { token } = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: 600,
    });
    assert.ok(await resolveSession(ctx().db, token, 600));
    const { sessionsRevoked } = await disableUser(ctx().db, user.username);
    assert.equal(sessionsRevoked, 1);
    assert.equal((await findUserById(ctx().db, user.id))?.disabled, 1);
    assert.equal(await resolveSession(ctx().db, token, 600), undefined);
    await assert.rejects(disableUser(ctx().db, randomName()), isCode('NOT_FOUND'));
  });
});
