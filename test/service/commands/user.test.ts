import assert from 'node:assert/strict';
import { createSession, resolveSession } from '../../../service/accounts/sessions';
import { findUserByName } from '../../../service/accounts/users';
import { forEachDialect } from '../../support/databases';
import { hasNoStack, runCli } from '../../support/cli';
import { randomName } from '../../support/fixtures';
import { startTestService } from '../../support/service';

forEachDialect('commands: migrate and user', (ctx) => {
  it('user disable against a running service: its sessions fail once the command returns', async function () {
    this.timeout(120_000);
    const svc = await startTestService({
      dialect: ctx().dialect,
      database: { databaseUrl: ctx().databaseUrl, masterKeyHex: ctx().masterKeyHex },
    });
    try {
      const name = randomName();
      await svc.createUser(name, 'a good password');
      const token = await svc.login(name, 'a good password');
      const me = async () => (await svc.request('GET', '/trpc/auth.me', { token })).status;
      assert.equal(await me(), 200);
      // The session is in use all the while the command runs, so the service keeps a fresh
      // cached copy of it up to the moment the command revokes it in the database.
      let running = true;
      const inUse = (async () => {
        while (running) {
          await me();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const disable = await runCli(['user', 'disable', name], { env: ctx().env });
      running = false;
      await inUse;
      assert.equal(disable.code, 0, disable.stderr);
      assert.equal(await me(), 401, 'accepted after `user disable` returned');
    } finally {
      await svc.close();
    }
  });

  it('migrate reports an up-to-date database; a bad URL fails without a stack', async function () {
    this.timeout(120_000);
    const ok = await runCli(['migrate'], { env: ctx().env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /up to date/);
    const bad = await runCli(['migrate'], {
      env: { ...ctx().env, CREDENTIAL_DATABASE_URL: 'postgres://x' },
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /CREDENTIAL_DATABASE_URL must start with sqlite: or mysql:\/\//);
    assert.ok(hasNoStack(bad.stderr), bad.stderr);
  });

  it('user add / list / disable', async function () {
    this.timeout(120_000);
    const name = randomName();
    const add = await runCli(['user', 'add', name, '--admin', '--password-stdin'], {
      env: ctx().env,
      input: 'a good password\n',
    });
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, new RegExp(`created admin '${name}'`));
    const user = await findUserByName(ctx().db, name);
    assert.equal(user?.role, 'admin');

    const again = await runCli(['user', 'add', name, '--password-stdin'], {
      env: ctx().env,
      input: 'another password\n',
    });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assert.ok(hasNoStack(again.stderr));

    const noTty = await runCli(['user', 'add', randomName()], { env: ctx().env });
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /--password-stdin/);

    const short = await runCli(['user', 'add', randomName(), '--password-stdin'], {
      env: ctx().env,
      input: 'short\n',
    });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 8 characters/);
    assert.ok(hasNoStack(short.stderr));

    const list = await runCli(['user', 'list'], { env: ctx().env });
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`${name}\\s+admin\\s+active`));
    assert.doesNotMatch(list.stdout, /scrypt/);

    const { token } = await createSession(ctx().db, {
      userId: user!.id,
      kind: 'user',
      timeoutSeconds: 600,
    });
    const disable = await runCli(['user', 'disable', name], { env: ctx().env });
    assert.equal(disable.code, 0, disable.stderr);
    assert.match(disable.stdout, /revoked 1 session/);
    assert.equal(await resolveSession(ctx().db, token, 600), undefined);

    const unknown = await runCli(['user', 'disable', randomName()], { env: ctx().env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no user named/);

    const help = await runCli(['user', '--help'], { env: ctx().env });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /user add NAME \[--admin\] \[--password-stdin\]/);
  });
});
