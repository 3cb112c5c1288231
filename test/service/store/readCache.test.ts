// The read caches of sessions and credential lists (service/store/readCache.ts): a write through
// this process is seen at once, a write behind its back within the cache time, and neither a read
// racing a write nor one racing an uncommitted transaction keeps a stale answer.
import assert from 'node:assert/strict';
import {
  createSession,
  resolveSession,
  revokeSession,
  revokeUserSessions,
  revokeWorkspaceSessions,
  SESSION_CACHE_MS,
} from '../../../service/accounts/sessions';
import { disableUser } from '../../../service/accounts/users';
import {
  CREDENTIAL_LIST_CACHE_MS,
  createCredential,
  deleteCredential,
  listCredentials,
  markCredentialUsed,
  recordTestResult,
  updateCredential,
} from '../../../service/store/credentials';
import type { Executor } from '../../../service/store/database';
import { ReadCache } from '../../../service/store/readCache';
import { forEachDialect, openTestStore, type TestStore } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

const TIMEOUT = 3600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

forEachDialect('store/read caches: sessions', (ctx) => {
  async function liveSession(kind: 'user' | 'workspace' = 'user', workspaceId?: string) {
    const user = await addTestUser(ctx().db);
    const created = await createSession(ctx().db, {
      userId: user.id,
      kind,
      workspaceId,
      timeoutSeconds: TIMEOUT,
    });
    // Looked up once: from here on the process has it cached.
    assert.ok(await resolveSession(ctx().db, created.token, TIMEOUT));
    return { user, ...created };
  }

  const revokeBehindTheBack = (db: Executor, sessionId: string) =>
    db
      .updateTable('sessions')
      .set({ revoked_at: Date.now() })
      .where('id', '=', sessionId)
      .execute();

  it('a revocation by another process is seen within SESSION_CACHE_MS, not later', async function () {
    this.timeout(10_000);
    const { token, session } = await liveSession();
    await revokeBehindTheBack(ctx().db, session.id);
    // Still trusted from memory: this is the window the cache time bounds...
    assert.ok(await resolveSession(ctx().db, token, TIMEOUT));
    await sleep(SESSION_CACHE_MS + 50);
    // ...and after it the database decides.
    assert.equal(await resolveSession(ctx().db, token, TIMEOUT), undefined);
  });

  it('revocations in this process take effect at once, cached or not', async () => {
    const one = await liveSession();
    assert.equal(await revokeSession(ctx().db, one.user.id, one.session.id), true);
    assert.equal(await resolveSession(ctx().db, one.token, TIMEOUT), undefined, 'revokeSession');

    const two = await liveSession();
    assert.equal(await revokeUserSessions(ctx().db, two.user.id), 1);
    assert.equal(await resolveSession(ctx().db, two.token, TIMEOUT), undefined, 'user sessions');

    const ws = `ws-${Date.now().toString(36)}`;
    const three = await liveSession('workspace', ws);
    assert.equal(await revokeWorkspaceSessions(ctx().db, ws), 1);
    assert.equal(await resolveSession(ctx().db, three.token, TIMEOUT), undefined, 'workspace');

    const four = await liveSession();
    await disableUser(ctx().db, four.user.username);
    assert.equal(await resolveSession(ctx().db, four.token, TIMEOUT), undefined, 'disabled');
  });

  it('checks the expiry of a cached session on every lookup', async () => {
    const { token, session } = await liveSession();
    const later = session.expires_at + 1;
    assert.equal(await resolveSession(ctx().db, token, TIMEOUT, later), undefined);
  });

  it('a lookup that raced a revocation does not cache what it read', async () => {
    const user = await addTestUser(ctx().db);
    const { token, session } = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: TIMEOUT,
    });
    // The lookup is queued first, so it reads the session live; the revocation lands after.
    const racing = resolveSession(ctx().db, token, TIMEOUT);
    const revoked = revokeSession(ctx().db, user.id, session.id);
    await Promise.all([racing, revoked]);
    assert.equal(await resolveSession(ctx().db, token, TIMEOUT), undefined);
  });

  it('a lookup during an uncommitted revocation does not cache the old row', async () => {
    const user = await addTestUser(ctx().db);
    const { token, session } = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: TIMEOUT,
    });
    let during: Promise<unknown> | undefined;
    await ctx()
      .db.transaction()
      .execute(async (trx) => {
        await revokeSession(trx, user.id, session.id);
        // Outside the transaction: MySQL answers the committed (live) row; SQLite waits for the
        // one connection until the commit. Either way the answer must not stay cached.
        during = resolveSession(ctx().db, token, TIMEOUT);
        await sleep(50);
      });
    await during;
    assert.equal(await resolveSession(ctx().db, token, TIMEOUT), undefined);
  });

  it('hands out a frozen answer: no request can change what the next one sees', async () => {
    const { token } = await liveSession();
    const resolved = await resolveSession(ctx().db, token, TIMEOUT);
    assert.ok(resolved && Object.isFrozen(resolved.session) && Object.isFrozen(resolved.user));
  });
});

forEachDialect('store/read caches: credential lists', (ctx) => {
  const secret = 'sk-cache-test-0000';
  async function cachedList() {
    const user = await addTestUser(ctx().db);
    const first = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      type: 'ai_token',
      provider: 'openai',
      name: 'default',
      secret,
    });
    assert.equal((await listCredentials(ctx().db, user.id)).length, 1);
    return { user, first };
  }

  it('every write through the store shows in the next list at once', async () => {
    const { user, first } = await cachedList();
    const second = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      type: 'git_token',
      provider: 'github',
      name: 'default',
      secret: 'ghp_cache_test_1111',
    });
    assert.deepEqual(
      (await listCredentials(ctx().db, user.id)).map((c) => c.id).sort(),
      [first.id, second.id].sort(),
      'create',
    );
    await updateCredential(ctx().db, ctx().keyring, user.id, first.id, { name: 'renamed' });
    const byId = async (id: string) =>
      (await listCredentials(ctx().db, user.id)).find((c) => c.id === id);
    assert.equal((await byId(first.id))?.name, 'renamed', 'update');
    await recordTestResult(ctx().db, user.id, first.id, { status: 'valid', detail: 'ok' });
    assert.equal((await byId(first.id))?.last_test_status, 'valid', 'test result');
    await markCredentialUsed(ctx().db, user.id, first.id, 1234);
    assert.equal((await byId(first.id))?.last_used_at, 1234, 'marked used');
    assert.equal(await deleteCredential(ctx().db, user.id, second.id), true);
    assert.deepEqual(
      (await listCredentials(ctx().db, user.id)).map((c) => c.id),
      [first.id],
      'delete',
    );
    // Filters work on the cached list as they did in SQL.
    assert.equal((await listCredentials(ctx().db, user.id, { type: 'git_token' })).length, 0);
    assert.equal((await listCredentials(ctx().db, user.id, { provider: 'openai' })).length, 1);
  });

  it('a change by another process is seen within CREDENTIAL_LIST_CACHE_MS', async function () {
    this.timeout(10_000);
    const { user, first } = await cachedList();
    await ctx()
      .db.updateTable('credentials')
      .set({ name: 'changed-elsewhere' })
      .where('id', '=', first.id)
      .execute();
    assert.equal((await listCredentials(ctx().db, user.id))[0]?.name, 'default');
    await sleep(CREDENTIAL_LIST_CACHE_MS + 50);
    assert.equal((await listCredentials(ctx().db, user.id))[0]?.name, 'changed-elsewhere');
  });

  it('a list read during an uncommitted write does not cache the old rows', async () => {
    const { user } = await cachedList();
    let during: Promise<unknown> | undefined;
    await ctx()
      .db.transaction()
      .execute(async (trx) => {
        await createCredential(trx, ctx().keyring, {
          userId: user.id,
          type: 'ai_token',
          provider: 'anthropic',
          name: 'default',
          secret,
        });
        during = listCredentials(ctx().db, user.id);
        await sleep(50);
      });
    await during;
    assert.equal((await listCredentials(ctx().db, user.id)).length, 2);
  });

  it('a rolled-back write leaves the list as it was', async () => {
    const { user } = await cachedList();
    await assert.rejects(
      ctx()
        .db.transaction()
        .execute(async (trx) => {
          await createCredential(trx, ctx().keyring, {
            userId: user.id,
            type: 'ai_token',
            provider: 'google',
            name: 'default',
            secret,
          });
          // Read inside the transaction: it sees its own row and must not cache it.
          assert.equal((await listCredentials(trx, user.id)).length, 2);
          throw new Error('roll back');
        }),
      /roll back/,
    );
    assert.equal((await listCredentials(ctx().db, user.id)).length, 1);
  });

  it('lists of the same user id in two databases do not mix', async function () {
    this.timeout(30_000);
    const { user, first } = await cachedList();
    const other: TestStore = await openTestStore(ctx().dialect);
    try {
      await other.db
        .insertInto('users')
        .values({
          id: user.id,
          username: user.username,
          password_hash: 'x',
          role: 'user',
          disabled: 0,
          created_at: Date.now(),
          updated_at: Date.now(),
        })
        .execute();
      assert.deepEqual(await listCredentials(other.db, user.id), []);
      assert.equal((await listCredentials(ctx().db, user.id))[0]?.id, first.id);
    } finally {
      await other.destroy();
    }
  });

  it('hands out frozen rows: no caller can change what the next one sees', async () => {
    const { user } = await cachedList();
    const [row] = await listCredentials(ctx().db, user.id);
    assert.ok(row);
    assert.throws(() => {
      (row as { name: string }).name = 'mutated';
    }, TypeError);
    assert.equal((await listCredentials(ctx().db, user.id))[0]?.name, 'default');
  });
});

forEachDialect('store/read caches: ReadCache', (ctx) => {
  /** A cache of strings whose loads are counted, so a test can tell a hit from a miss. */
  function counted(maxEntries = 100) {
    const cache = new ReadCache<string>({ ttlMs: 60_000, maxEntries });
    let loads = 0;
    const read = (key: string, value = key) =>
      cache.read(ctx().db, key, async () => {
        loads++;
        return value;
      });
    return { cache, read, loads: () => loads };
  }

  it('a read that overlapped a write is answered but not cached', async () => {
    const { cache, read, loads } = counted();
    const db = ctx().db;
    // The load read the old value, then a write to the key finished before the load returned.
    const overlapped = await cache.read(db, 'k', async () => {
      await cache.around(
        () => cache.forgetKey(db, 'k'),
        async () => undefined,
      );
      return 'old';
    });
    assert.equal(overlapped, 'old');
    assert.equal(await read('k', 'new'), 'new');
    assert.equal(loads(), 1, 'the second read went to the database');
    assert.equal(await read('k', 'newer'), 'new', 'and that one is cached');
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const { read, loads } = counted(2);
    await read('a');
    await read('b');
    await read('c');
    assert.equal(loads(), 3);
    await read('c');
    await read('b');
    assert.equal(loads(), 3, 'b and c are cached');
    await read('a');
    assert.equal(loads(), 4, 'a was dropped');
  });

  it('does not cache an absent value', async () => {
    const cache = new ReadCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };
    await cache.read(ctx().db, 'gone', load);
    await cache.read(ctx().db, 'gone', load);
    assert.equal(loads, 2);
  });
});
