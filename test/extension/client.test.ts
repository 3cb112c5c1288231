import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { CredentialsBackend } from '../../extension/backend';
import { SESSION_EXPIRED_MESSAGE, ServiceError, toServiceError } from '../../extension/client';
import { SessionStore } from '../../extension/session';
import { freePort } from '../support/codeServer';
import { tierSuite } from '../support/tiers';
import { MemorySecrets } from './helpers';

// A small tRPC server over real HTTP with the paths the client calls, answering the way the
// credential service does (plain JSON, tRPC error codes), plus one leak a client must not pass on.
const t = initTRPC.context<{ auth: string | undefined }>().create();
const authed = t.procedure.use(({ ctx, next }) => {
  if (ctx.auth !== 'Bearer good') throw new TRPCError({ code: 'UNAUTHORIZED', message: 'no' });
  return next();
});
const testRouter = t.router({
  auth: t.router({
    me: authed.query(() => ({ id: '1', username: 'alice', role: 'user', sessionKind: 'user' })),
  }),
  tokens: t.router({
    list: authed
      .input((v) => v)
      .query(() => [
        {
          id: 'tk1',
          type: 'git_token',
          provider: 'github',
          name: 'default',
          username: null,
          url: null,
          envVar: null,
          hint: '…abcd',
          // Not in the contract: a view model must never carry it along.
          token: 'ghp_SECRET_abcd',
          expiresAt: null,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
          lastUsedAt: null,
          lastTest: { status: 'valid', detail: 'alice', checkedAt: '2026-01-02T00:00:00.000Z' },
        },
      ]),
    create: authed
      .input((v) => v)
      .mutation(() => {
        throw new TRPCError({ code: 'CONFLICT', message: 'A github token named default exists.' });
      }),
  }),
  sshKeys: t.router({
    list: authed.query(() => {
      throw new Error('SELECT * FROM ssh_keys failed\n    at Object.<anonymous> (/srv/x.js:1:1)');
    }),
  }),
});

tierSuite('unit', 'extension client over HTTP', () => {
  let url: string;
  let close: () => void;
  let unauthorized = 0;
  const secrets = new MemorySecrets();
  const store = new SessionStore(secrets);
  const backend = () =>
    new CredentialsBackend(store, {
      serviceUrl: async () => url,
      workspaceId: () => 'ws1',
      onUnauthorized: () => unauthorized++,
    });

  before(async () => {
    const server = createHTTPServer({
      router: testRouter,
      basePath: '/trpc/',
      createContext: ({ req }) => ({ auth: req.headers.authorization }),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  after(() => close());

  async function signInAs(token: string) {
    await store.save({ token, serviceUrl: url, username: 'alice', kind: 'user', expiresAt: null });
  }

  it('a rejected session becomes the expiry message and tells the session owner', async () => {
    await signInAs('stale');
    unauthorized = 0;
    await assert.rejects(backend().listTokens(), (e: unknown) => {
      assert.ok(e instanceof ServiceError);
      assert.equal(e.kind, 'unauthorized');
      assert.equal(e.message, SESSION_EXPIRED_MESSAGE);
      return true;
    });
    assert.equal(unauthorized, 1);
  });

  it('sends the Bearer token and copies only contract fields into the view model', async () => {
    await signInAs('good');
    const tokens = await backend().listTokens();
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]?.hint, '…abcd');
    assert.equal(tokens[0]?.lastTest?.status, 'valid');
    assert.ok(!JSON.stringify(tokens).includes('SECRET'), 'no secret in the view model');
  });

  it('a CONFLICT keeps the service message', async () => {
    await signInAs('good');
    await assert.rejects(
      backend().saveToken({ type: 'git_token', provider: 'gitlab', token: 'x' }),
      (e: unknown) =>
        e instanceof ServiceError &&
        e.kind === 'conflict' &&
        e.message === 'A github token named default exists.',
    );
  });

  it('an internal error shows as one line, never a stack', async () => {
    await signInAs('good');
    await assert.rejects(backend().listSshKeys(), (e: unknown) => {
      assert.ok(e instanceof ServiceError);
      assert.equal(e.kind, 'other');
      assert.ok(!e.message.includes('\n'));
      assert.ok(!e.message.includes(' at '), e.message);
      assert.ok(!/select|ssh_keys/i.test(e.message), 'no SQL reaches the user');
      return true;
    });
  });

  it('an unreachable service is named by its URL', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await store.save({
      token: 'good',
      serviceUrl: dead,
      username: 'a',
      kind: 'user',
      expiresAt: null,
    });
    const b = new CredentialsBackend(store, {
      serviceUrl: async () => dead,
      workspaceId: () => 'ws1',
      onUnauthorized: () => unauthorized++,
    });
    await assert.rejects(
      b.listTokens(),
      (e: unknown) =>
        e instanceof ServiceError &&
        e.kind === 'network' &&
        e.message === `Cannot reach the credential service at ${dead}.`,
    );
  });

  it('signed out: no request, a message saying to sign in', async () => {
    await store.clear();
    await assert.rejects(
      backend().listTokens(),
      (e: unknown) => e instanceof ServiceError && e.kind === 'signed_out',
    );
  });

  it('maps foreign errors without leaking their text', () => {
    const e = toServiceError(new TypeError('fetch failed'), 'http://x');
    assert.equal(e.message, 'Cannot reach the credential service at http://x.');
  });
});
