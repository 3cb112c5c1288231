import assert from 'node:assert/strict';
import {
  createSession,
  hashToken,
  listExpiredUserSessions,
  markSessionExpiredHandled,
  resolveSession,
  revokeSession,
  revokeWorkspaceSessions,
} from '../../../service/accounts/sessions';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

const TIMEOUT = 7200;

forEachDialect('accounts/sessions', (ctx) => {
  it('issues a 256-bit base64url token and stores only its SHA-256', async () => {
    const user = await addTestUser(ctx().db);
    const { token, session } = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: TIMEOUT,
    });
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    const rows = await ctx()
      .db.selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.token_hash, hashToken(token));
    assert.doesNotMatch(JSON.stringify(rows), new RegExp(token));
    const resolved = await resolveSession(ctx().db, token, TIMEOUT);
    assert.equal(resolved?.session.id, session.id);
    assert.deepEqual(resolved?.user, { id: user.id, username: user.username, role: 'user' });
  });

  it('does not resolve unknown, malformed, expired or revoked tokens', async () => {
    const user = await addTestUser(ctx().db);
    const t0 = Date.now();
    const { token } = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: 60,
      now: t0,
    });
    assert.equal(await resolveSession(ctx().db, 'A'.repeat(43), 60, t0), undefined);
    assert.equal(await resolveSession(ctx().db, 'not a token', 60, t0), undefined);
    assert.equal(await resolveSession(ctx().db, token, 60, t0 + 60_000), undefined, 'expired');
    const other = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: 60,
    });
    assert.ok(await resolveSession(ctx().db, other.token, 60));
    assert.equal(await revokeSession(ctx().db, user.id, other.session.id), true);
    assert.equal(await resolveSession(ctx().db, other.token, 60), undefined, 'revoked');
  });

  it('slides the expiry on use', async () => {
    const user = await addTestUser(ctx().db);
    const t0 = Date.now();
    const { token } = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: 60,
      now: t0,
    });
    const used = await resolveSession(ctx().db, token, 60, t0 + 50_000);
    assert.equal(used?.session.expires_at, t0 + 110_000);
    // Past the first expiry but within the extended one: still live.
    assert.ok(await resolveSession(ctx().db, token, 60, t0 + 100_000));
    assert.equal(await resolveSession(ctx().db, token, 60, t0 + 100_000 + 60_000), undefined);
  });

  it('binds workspace sessions to a container and revokes them with it', async () => {
    const user = await addTestUser(ctx().db);
    const ws = `ws-${user.id.slice(0, 8)}`;
    const a = await createSession(ctx().db, {
      userId: user.id,
      kind: 'workspace',
      workspaceId: ws,
      timeoutSeconds: 60,
    });
    const b = await createSession(ctx().db, { userId: user.id, kind: 'user', timeoutSeconds: 60 });
    const resolved = await resolveSession(ctx().db, a.token, 60);
    assert.equal(resolved?.session.kind, 'workspace');
    assert.equal(resolved?.session.workspace_id, ws);
    assert.equal(await revokeWorkspaceSessions(ctx().db, ws), 1);
    assert.equal(await resolveSession(ctx().db, a.token, 60), undefined);
    assert.ok(await resolveSession(ctx().db, b.token, 60), 'the user session is untouched');
  });

  it('lists expired user sessions once for clear-on-timeout', async () => {
    const user = await addTestUser(ctx().db);
    const t0 = Date.now() - 120_000;
    const { session } = await createSession(ctx().db, {
      userId: user.id,
      kind: 'user',
      timeoutSeconds: 60,
      now: t0,
    });
    const expired = await listExpiredUserSessions(ctx().db);
    assert.ok(expired.some((s) => s.id === session.id));
    await markSessionExpiredHandled(ctx().db, session.id);
    assert.ok(!(await listExpiredUserSessions(ctx().db)).some((s) => s.id === session.id));
  });
});
