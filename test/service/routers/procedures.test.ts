// Every procedure of CONTRACT.md section 4 over real HTTP (typed tRPC client), on both
// databases, with provider APIs faked on loopback: success and the main errors.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSession } from '../../../service/accounts/sessions';
import { forEachServiceDialect } from '../../support/service';
import { assertTrpcCode } from './assertions';

forEachServiceDialect('procedures over HTTP', (ctx) => {
  let token = '';
  const password = 'alice-password-1';

  before(async function () {
    this.timeout(20_000);
    await ctx().svc.createUser('alice', password, 'admin');
    token = await ctx().svc.login('alice', password);
  });

  describe('auth', () => {
    it('login answers a token, its expiry and the user', async () => {
      const result = await ctx().svc.trpc().auth.login.mutate({ username: 'alice', password });
      assert.match(result.token, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(Date.parse(result.expiresAt) > Date.now());
      assert.deepEqual(
        { username: result.user.username, role: result.user.role },
        { username: 'alice', role: 'admin' },
      );
    });

    it('login with a wrong password is UNAUTHORIZED and does not say which part was wrong', async () => {
      const wrong = await assertTrpcCode(
        ctx().svc.trpc().auth.login.mutate({ username: 'alice', password: 'nope-nope' }),
        'UNAUTHORIZED',
      );
      const unknown = await assertTrpcCode(
        ctx().svc.trpc().auth.login.mutate({ username: 'nobody', password: 'nope-nope' }),
        'UNAUTHORIZED',
      );
      assert.equal(wrong.message, unknown.message);
    });

    it('me describes the caller and its session kind', async () => {
      const me = await ctx().svc.trpc(token).auth.me.query();
      assert.equal(me.username, 'alice');
      assert.equal(me.sessionKind, 'user');
      assert.equal(me.workspaceId, null);
    });

    it('calls without a token, or with an unknown one, are UNAUTHORIZED', async () => {
      await assertTrpcCode(ctx().svc.trpc().tokens.list.query(), 'UNAUTHORIZED');
      await assertTrpcCode(ctx().svc.trpc('x'.repeat(43)).auth.me.query(), 'UNAUTHORIZED');
    });

    it('logout revokes the session: it answers 401 afterwards', async () => {
      const other = await ctx().svc.login('alice', password);
      assert.deepEqual(await ctx().svc.trpc(other).auth.logout.mutate({}), { ok: true });
      await assertTrpcCode(ctx().svc.trpc(other).auth.me.query(), 'UNAUTHORIZED');
      // The first session is untouched.
      assert.equal((await ctx().svc.trpc(token).auth.me.query()).username, 'alice');
    });

    it('an expired session answers 401', async () => {
      const other = await ctx().svc.login('alice', password);
      await ctx()
        .store.db.updateTable('sessions')
        .set({ expires_at: Date.now() - 1000 })
        .where('revoked_at', 'is', null)
        .where('created_at', '>', Date.now() - 2000)
        .execute();
      await assertTrpcCode(ctx().svc.trpc(other).auth.me.query(), 'UNAUTHORIZED');
      token = await ctx().svc.login('alice', password);
    });
  });

  describe('tokens', () => {
    it('create answers TokenInfo with a hint and never the token', async () => {
      ctx().fake.github.addToken('ghp_procedureToken0001', { login: 'alice-gh', scopes: ['repo'] });
      const info = await ctx().svc.trpc(token).tokens.create.mutate({
        type: 'git_token',
        provider: 'github',
        token: 'ghp_procedureToken0001',
        username: 'alice-gh',
      });
      assert.equal(info.hint, '…0001');
      assert.equal(info.name, 'default');
      assert.equal(info.lastTest, null);
      assert.ok(!JSON.stringify(info).includes('procedureToken'));
    });

    it('a duplicate type/provider/name is CONFLICT', async () => {
      await assertTrpcCode(
        ctx().svc.trpc(token).tokens.create.mutate({
          type: 'git_token',
          provider: 'github',
          token: 'ghp_other',
        }),
        'CONFLICT',
      );
    });

    it('list filters by type', async () => {
      const c = ctx().svc.trpc(token);
      await c.tokens.create.mutate({
        type: 'ai_token',
        provider: 'openai',
        token: 'sk-procAi00000042',
      });
      const all = await c.tokens.list.query();
      const git = await c.tokens.list.query({ type: 'git_token' });
      const ai = await c.tokens.list.query({ type: 'ai_token' });
      assert.deepEqual(
        git.map((t) => t.provider),
        ['github'],
      );
      assert.deepEqual(
        ai.map((t) => t.provider),
        ['openai'],
      );
      assert.equal(all.length, 2);
    });

    it('test stores the result as the token’s last test, with the expiry GitHub sent', async () => {
      const expires = Date.now() + 5 * 86_400_000;
      ctx().fake.github.addToken('ghp_expiringToken0002', {
        login: 'alice-gh',
        scopes: ['repo'],
        expiresAt: expires,
      });
      const c = ctx().svc.trpc(token);
      const info = await c.tokens.create.mutate({
        type: 'git_token',
        provider: 'github',
        name: 'expiring',
        token: 'ghp_expiringToken0002',
      });
      const result = await c.tokens.test.mutate({ id: info.id });
      assert.equal(result.success, true);
      assert.equal(result.status, 'valid');
      assert.equal(result.account, 'alice-gh');
      const listed = (await c.tokens.list.query()).find((t) => t.id === info.id);
      assert.equal(listed?.lastTest?.status, 'valid');
      assert.ok(listed?.expiresAt);
      assert.ok(Math.abs(Date.parse(listed.expiresAt) - expires) < 86_400_000);
    });

    it('an invalid token tests as invalid; a failing provider as unreachable, never a 500', async () => {
      const c = ctx().svc.trpc(token);
      const bad = await c.tokens.create.mutate({
        type: 'ai_token',
        provider: 'anthropic',
        token: 'sk-ant-notKnown0003',
      });
      const invalid = await c.tokens.test.mutate({ id: bad.id });
      assert.equal(invalid.status, 'invalid');
      assert.equal(invalid.success, false);
      ctx().fake.anthropic.setFault({ kind: 'status', status: 503 });
      try {
        const down = await c.tokens.test.mutate({ id: bad.id });
        assert.equal(down.status, 'unreachable');
      } finally {
        ctx().fake.anthropic.setFault(null);
      }
    });

    it('update changes fields and the secret (new hint, last test reset)', async () => {
      const c = ctx().svc.trpc(token);
      const info = await c.tokens.create.mutate({
        type: 'git_token',
        provider: 'forgejo',
        token: 'forgejo-token-0004',
        url: 'http://127.0.0.1:3000',
      });
      const updated = await c.tokens.update.mutate({
        id: info.id,
        token: 'forgejo-token-0005',
        username: 'alice-fj',
        name: 'work',
      });
      assert.equal(updated.hint, '…0005');
      assert.equal(updated.username, 'alice-fj');
      assert.equal(updated.name, 'work');
      assert.equal(updated.lastTest, null);
    });

    it('delete removes the token; deleting again is NOT_FOUND', async () => {
      const c = ctx().svc.trpc(token);
      const info = await c.tokens.create.mutate({
        type: 'ai_token',
        provider: 'custom',
        envVar: 'MY_KEY',
        token: 'custom-key-0006',
      });
      assert.equal(info.envVar, 'MY_KEY');
      assert.deepEqual(await c.tokens.delete.mutate({ id: info.id }), { ok: true });
      assert.ok(!(await c.tokens.list.query()).some((t) => t.id === info.id));
      await assertTrpcCode(c.tokens.delete.mutate({ id: info.id }), 'NOT_FOUND');
    });
  });

  describe('sshKeys', () => {
    let keyId = '';

    it('generate makes an ed25519 key that ssh-keygen accepts, with its fingerprint', async () => {
      const key = await ctx().svc.trpc(token).sshKeys.generate.mutate({ comment: 'alice@test' });
      keyId = key.id;
      assert.match(key.publicKey, /^ssh-ed25519 AAAA\S+ alice@test$/);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-key-'));
      try {
        const file = path.join(dir, 'id.pub');
        writeFileSync(file, key.publicKey + '\n');
        const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], {
          encoding: 'utf8',
          timeout: 10_000,
        });
        assert.ok(out.includes(key.fingerprint), `${out} should name ${key.fingerprint}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('generate again is CONFLICT unless replace: true, which makes a new key', async () => {
      const c = ctx().svc.trpc(token);
      await assertTrpcCode(c.sshKeys.generate.mutate({}), 'CONFLICT');
      const before = await c.sshKeys.get.query({ name: 'default' });
      const replaced = await c.sshKeys.generate.mutate({ replace: true });
      assert.equal(replaced.id, before.id);
      assert.notEqual(replaced.fingerprint, before.fingerprint);
    });

    it('import takes an OpenSSH private key made by ssh-keygen and keeps its fingerprint', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-key-'));
      try {
        const file = path.join(dir, 'id');
        execFileSync(
          'ssh-keygen',
          ['-q', '-t', 'ed25519', '-N', 'pass phrase', '-C', 'imp', '-f', file],
          {
            timeout: 10_000,
          },
        );
        const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], {
          encoding: 'utf8',
          timeout: 10_000,
        });
        const { readFileSync } = await import('node:fs');
        const imported = await ctx()
          .svc.trpc(token)
          .sshKeys.import.mutate({
            name: 'imported',
            privateKey: readFileSync(file, 'utf8'),
            passphrase: 'pass phrase',
          });
        assert.ok(fp.includes(imported.fingerprint));
        await assertTrpcCode(
          ctx()
            .svc.trpc(token)
            .sshKeys.import.mutate({
              name: 'again',
              privateKey: readFileSync(file, 'utf8'),
              passphrase: 'wrong',
            }),
          'BAD_REQUEST',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('list and get by name answer public parts only', async () => {
      const c = ctx().svc.trpc(token);
      const keys = await c.sshKeys.list.query();
      assert.deepEqual(keys.map((k) => k.name).sort(), ['default', 'imported']);
      const text = JSON.stringify(keys);
      assert.ok(!text.includes('PRIVATE KEY'));
      await assertTrpcCode(c.sshKeys.get.query({ name: 'missing' }), 'NOT_FOUND');
    });

    it('register adds the key at GitHub and keeps the status per provider', async () => {
      ctx().fake.github.addToken('ghp_keyAdmin0007', {
        login: 'alice-keys',
        scopes: ['admin:public_key'],
      });
      const c = ctx().svc.trpc(token);
      const gh = await c.tokens.create.mutate({
        type: 'git_token',
        provider: 'github',
        name: 'keys',
        token: 'ghp_keyAdmin0007',
      });
      // The default GitHub token lacks the scope: rename it away so 'keys' is the only one.
      const all = await c.tokens.list.query({ type: 'git_token' });
      for (const t of all.filter((t) => t.provider === 'github' && t.id !== gh.id)) {
        await c.tokens.delete.mutate({ id: t.id });
      }
      const result = await c.sshKeys.register.mutate({ id: keyId, provider: 'github' });
      assert.equal(result.status, 'registered', result.detail);
      assert.equal(ctx().fake.github.keysOf('alice-keys').length, 1);
      const again = await c.sshKeys.register.mutate({ id: keyId, provider: 'github' });
      assert.equal(again.status, 'already_registered');
      const gitlab = await c.sshKeys.register.mutate({ id: keyId, provider: 'gitlab' });
      assert.equal(gitlab.status, 'error');
      const key = await c.sshKeys.get.query({ name: 'default' });
      const statuses = Object.fromEntries(key.registrations.map((r) => [r.provider, r.status]));
      assert.deepEqual(statuses, { github: 'already_registered', gitlab: 'error' });
    });

    it('delete removes a key', async () => {
      const c = ctx().svc.trpc(token);
      const imported = await c.sshKeys.get.query({ name: 'imported' });
      assert.deepEqual(await c.sshKeys.delete.mutate({ id: imported.id }), { ok: true });
      await assertTrpcCode(c.sshKeys.get.query({ name: 'imported' }), 'NOT_FOUND');
    });
  });

  describe('settings, audit, git credentials, workspaces', () => {
    it('settings get and update', async () => {
      const c = ctx().svc.trpc(token);
      const initial = await c.settings.get.query();
      assert.equal(typeof initial.autoInject, 'boolean');
      const updated = await c.settings.update.mutate({
        clearOnSessionTimeout: true,
        autoInject: false,
      });
      assert.equal(updated.clearOnSessionTimeout, true);
      assert.equal(updated.autoInject, false);
      assert.equal(updated.aiKeyDelivery, 'gateway');
      assert.deepEqual(await c.settings.get.query(), updated);
      const env = await c.settings.update.mutate({ aiKeyDelivery: 'environment' });
      assert.equal(env.aiKeyDelivery, 'environment');
      await assert.rejects(
        c.settings.update.mutate({ aiKeyDelivery: 'plain' as 'gateway' }),
        (e: { data?: { code?: string }; message: string }) =>
          e.data?.code === 'BAD_REQUEST' && /aiKeyDelivery/.test(e.message),
      );
      await c.settings.update.mutate({ aiKeyDelivery: 'gateway' });
    });

    it('audit.list pages newest first with a cursor and filters by action', async () => {
      const c = ctx().svc.trpc(token);
      const first = await c.audit.list.query({ limit: 2 });
      assert.equal(first.entries.length, 2);
      assert.ok(first.nextCursor !== null);
      assert.ok(first.entries[0]!.id > first.entries[1]!.id);
      const next = await c.audit.list.query({ limit: 2, before: first.nextCursor });
      assert.ok(next.entries.every((e) => e.id < first.entries[1]!.id));
      const logins = await c.audit.list.query({ action: 'login' });
      assert.ok(logins.entries.length > 0);
      assert.ok(logins.entries.every((e) => e.action === 'login'));
    });

    it('audit.export answers JSON and CSV', async () => {
      const c = ctx().svc.trpc(token);
      const json = await c.audit.export.query({ format: 'json' });
      const rows = JSON.parse(json.content) as Array<{ action: string }>;
      assert.ok(rows.some((r) => r.action === 'create'));
      const csv = await c.audit.export.query({ format: 'csv', since: '2000-01-01T00:00:00Z' });
      assert.match(csv.content.split('\r\n')[0]!, /^id,timestamp/);
    });

    /** A workspace session of alice's: the only kind git credentials are given to. */
    async function aliceWorkspace() {
      const user = await ctx()
        .store.db.selectFrom('users')
        .select('id')
        .where('username', '=', 'alice')
        .executeTakeFirstOrThrow();
      const session = await createSession(ctx().store.db, {
        userId: user.id,
        kind: 'workspace',
        workspaceId: 'a11ce000a11ce000',
        timeoutSeconds: 3600,
      });
      return ctx().svc.trpc(session.token);
    }

    it('gitCredential.get matches the host to the token and audits the read', async () => {
      ctx().fake.gitlab.addToken('glpat-procedure0008', { username: 'alice-gl' });
      const c = ctx().svc.trpc(token);
      await c.tokens.create.mutate({
        type: 'git_token',
        provider: 'gitlab',
        token: 'glpat-procedure0008',
        url: ctx().fake.urls.gitlabUrl,
      });
      const w = await aliceWorkspace();
      const host = new URL(ctx().fake.urls.gitlabUrl).host;
      const cred = await w.gitCredential.get.query({ protocol: 'http', host });
      assert.deepEqual(cred, { username: 'oauth2', password: 'glpat-procedure0008' });
      const reads = await c.audit.list.query({ action: 'read' });
      assert.ok(reads.entries.some((e) => e.provider === 'gitlab' && e.outcome === 'success'));
      await assertTrpcCode(
        w.gitCredential.get.query({ protocol: 'https', host: 'example.org' }),
        'NOT_FOUND',
      );
      // Never over plain http to a host off loopback.
      await assertTrpcCode(
        w.gitCredential.get.query({ protocol: 'http', host: 'github.com' }),
        'NOT_FOUND',
      );
    });

    it('a failed audit write fails gitCredential.get and hands out nothing', async () => {
      const w = await aliceWorkspace();
      const host = new URL(ctx().fake.urls.gitlabUrl).host;
      const db = ctx().store.db;
      await db.schema.alterTable('audit_log').renameTo('audit_log_away').execute();
      try {
        const failure = await assertTrpcCode(
          w.gitCredential.get.query({ protocol: 'http', host }),
          'SERVICE_UNAVAILABLE',
        );
        assert.ok(!failure.message.includes('glpat'));
      } finally {
        await db.schema.alterTable('audit_log_away').renameTo('audit_log').execute();
      }
    });

    it('workspaces.list answers the caller’s containers (none for a new user)', async () => {
      // Docker is shared with other suites: a name nobody else uses owns no container.
      const name = `ws${Math.random().toString(36).slice(2, 10)}`;
      await ctx().svc.createUser(name, 'ws-password-123');
      const ws = ctx().svc.trpc(await ctx().svc.login(name, 'ws-password-123'));
      assert.deepEqual(await ws.workspaces.list.query(), []);
    });

    it('workspaces.inject and clear of a container that is not the caller’s are NOT_FOUND', async () => {
      const c = ctx().svc.trpc(token);
      await assertTrpcCode(
        c.workspaces.inject.mutate({ workspaceId: 'no-such-container' }),
        'NOT_FOUND',
      );
      await assertTrpcCode(
        c.workspaces.clear.mutate({ workspaceId: 'no-such-container' }),
        'NOT_FOUND',
      );
    });

    it('credentials.clearAll deletes every credential', async () => {
      await ctx().svc.createUser('carol', 'carol-password-1');
      const carol = ctx().svc.trpc(await ctx().svc.login('carol', 'carol-password-1'));
      await carol.tokens.create.mutate({
        type: 'ai_token',
        provider: 'google',
        token: 'AIza-carol-0009',
      });
      await carol.sshKeys.generate.mutate({});
      const result = await carol.credentials.clearAll.mutate({});
      assert.equal(result.deleted, 2);
      assert.deepEqual(await carol.tokens.list.query(), []);
      assert.deepEqual(await carol.sshKeys.list.query(), []);
    });
  });
});
