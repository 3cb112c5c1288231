// Who may call which procedure, proven without HTTP: tRPC's createCaller with the inner context
// (the same deps the service builds, on a real migrated SQLite store, real sessions). The HTTP
// tests (test/service/http) prove the transport; these prove the procedure builders. Every
// procedure of AppRouter must be listed below as public, any-session or user-session only, so
// a procedure added without a decision fails here.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { TRPCError } from '@trpc/server';
import { createSession, revokeSession } from '../../../service/accounts/sessions';
import { createUser } from '../../../service/accounts/users';
import { loadConfig } from '../../../service/config';
import { createInnerContext } from '../../../service/context';
import type { ServiceDeps } from '../../../service/domain/deps';
import { createLogger } from '../../../service/logger';
import { appRouter } from '../../../service/routers/_app';
import { createCallerFactory } from '../../../service/trpc';
import { openTestStore, type TestStore } from '../../support/databases';
import { tierSuite } from '../../support/tiers';

/** The one procedure callable without a session. */
const PUBLIC = ['auth.login'];

/** Any session, user or workspace (the domain may still refuse a workspace what is not its own). */
const ANY_SESSION = [
  'auth.me',
  'sshKeys.list',
  'tokens.list',
  'audit.list',
  'workspaces.list',
  'workspaces.inject',
  'gitCredential.get',
  'ai.usage',
];

/** User sessions only: a workspace session is FORBIDDEN before its input is even read. */
const USER_SESSION = [
  'auth.logout',
  'sshKeys.generate',
  'sshKeys.import',
  'sshKeys.get',
  'sshKeys.delete',
  'sshKeys.register',
  'tokens.create',
  'tokens.update',
  'tokens.delete',
  'tokens.test',
  'settings.get',
  'settings.update',
  'audit.export',
  'workspaces.clear',
  'credentials.clearAll',
  'oauth.start',
  'oauth.poll',
];

const createCaller = createCallerFactory(appRouter);
const WORKSPACE = 'ca11e400ca11e400';

function callerFor(deps: ServiceDeps, bearerToken: string | null) {
  return createCaller(
    createInnerContext(deps, { bearerToken, ipAddress: '127.0.0.1', userAgent: 'caller.test' }),
  );
}

/** Calls a procedure by its dotted path, as the REST mirror does. */
function call(deps: ServiceDeps, token: string | null, path: string, input?: unknown) {
  const fn = path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)[key],
      callerFor(deps, token),
    ) as (input: unknown) => Promise<unknown>;
  return fn(input);
}

/** The TRPCError code a call fails with, or 'OK' when it succeeds. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return err.code;
  }
}

tierSuite('sqlite', 'procedure authorization through createCaller', () => {
  let store: TestStore;
  let deps: ServiceDeps;
  const tokens = { admin: '', user: '', workspace: '', gateway: '', revoked: '' };
  let userId = '';

  before(async function () {
    this.timeout(30_000);
    store = await openTestStore('sqlite');
    const config = loadConfig({
      CREDENTIAL_DATABASE_URL: store.databaseUrl,
      CREDENTIAL_ENCRYPTION_KEY: store.masterKeyHex,
    });
    deps = {
      config,
      logger: createLogger({ level: 'silent', destination: { write: () => undefined } }),
      health: {
        database: async () => void (await sql`select 1`.execute(store.db)),
        docker: async () => ({ state: 'unavailable', detail: 'no Docker in this suite' }),
      },
      store,
      keyring: store.keyring,
      workspaces: null,
    };
    const admin = await createUser(store.db, {
      username: 'root-admin',
      password: 'admin-password-1',
      role: 'admin',
    });
    const user = await createUser(store.db, {
      username: 'plain-user',
      password: 'user-password-1',
      role: 'user',
    });
    userId = user.id;
    const mint = async (id: string, kind: 'user' | 'workspace' | 'gateway') =>
      createSession(store.db, {
        userId: id,
        kind,
        workspaceId: kind === 'user' ? null : WORKSPACE,
        timeoutSeconds: 3600,
      });
    tokens.admin = (await mint(admin.id, 'user')).token;
    tokens.user = (await mint(user.id, 'user')).token;
    tokens.workspace = (await mint(user.id, 'workspace')).token;
    tokens.gateway = (await mint(user.id, 'gateway')).token;
    const revoked = await mint(user.id, 'user');
    tokens.revoked = revoked.token;
    assert.equal(await revokeSession(store.db, user.id, revoked.session.id), true);
  });

  after(async function () {
    this.timeout(30_000);
    await store?.destroy();
  });

  it('every procedure is public, any-session or user-only, and listed here', () => {
    const listed = [...PUBLIC, ...ANY_SESSION, ...USER_SESSION].sort();
    assert.deepEqual(Object.keys(appRouter._def.procedures).sort(), listed);
    assert.equal(new Set(listed).size, listed.length);
  });

  it('without a session, or with an unknown or revoked one, everything but auth.login is UNAUTHORIZED', async () => {
    const cases = { none: null, unknown: 'not-a-session-token', revoked: tokens.revoked };
    for (const [kind, token] of Object.entries(cases)) {
      for (const path of [...ANY_SESSION, ...USER_SESSION]) {
        // No input at all: the session is checked before the input is read.
        assert.equal(await outcome(call(deps, token, path)), 'UNAUTHORIZED', `${kind}: ${path}`);
      }
    }
    // auth.login needs no session: it reaches its input check.
    assert.equal(await outcome(call(deps, null, 'auth.login', {})), 'BAD_REQUEST');
  });

  it('a gateway token is no session to any procedure', async () => {
    for (const path of [...ANY_SESSION, ...USER_SESSION]) {
      assert.equal(await outcome(call(deps, tokens.gateway, path)), 'UNAUTHORIZED', path);
    }
  });

  it('a workspace session is FORBIDDEN every user-only procedure, and reaches the others', async () => {
    for (const path of USER_SESSION) {
      assert.equal(await outcome(call(deps, tokens.workspace, path)), 'FORBIDDEN', path);
    }
    const me = (await call(deps, tokens.workspace, 'auth.me')) as Record<string, unknown>;
    assert.equal(me.sessionKind, 'workspace');
    assert.equal(me.workspaceId, WORKSPACE);
    assert.deepEqual(await call(deps, tokens.workspace, 'tokens.list'), []);
  });

  it('no procedure answers to the admin role: an admin reaches only its own credentials', async () => {
    const created = (await call(deps, tokens.user, 'tokens.create', {
      type: 'ai_token',
      provider: 'openai',
      token: 'sk-caller-test-0001',
    })) as { id: string };
    const me = (await call(deps, tokens.admin, 'auth.me')) as Record<string, unknown>;
    assert.equal(me.role, 'admin');
    assert.deepEqual(await call(deps, tokens.admin, 'tokens.list'), []);
    assert.equal(
      await outcome(call(deps, tokens.admin, 'tokens.delete', { id: created.id })),
      'NOT_FOUND',
    );
    assert.equal(
      await outcome(call(deps, tokens.admin, 'tokens.test', { id: created.id })),
      'NOT_FOUND',
    );
    const still = (await call(deps, tokens.user, 'tokens.list')) as Array<{ id: string }>;
    assert.deepEqual(
      still.map((t) => t.id),
      [created.id],
    );
    const rows = await store.db
      .selectFrom('credentials')
      .select('user_id')
      .where('id', '=', created.id)
      .execute();
    assert.deepEqual(rows, [{ user_id: userId }]);
  });

  it('input is validated after authorization, with the words a client sees', async () => {
    const failure = call(deps, tokens.user, 'tokens.create', {
      type: 'git_token',
      provider: 'openai',
      token: 'x',
    });
    await assert.rejects(
      failure,
      (err: unknown) =>
        err instanceof TRPCError &&
        err.code === 'BAD_REQUEST' &&
        JSON.stringify(err.cause).includes('provider openai is not a git provider'),
    );
  });
});
