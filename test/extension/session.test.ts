import assert from 'node:assert/strict';
import { SESSION_EXPIRED_MESSAGE, ServiceError } from '../../extension/client';
import { KNOWN_SERVICES_KEY, KnownServices } from '../../extension/knownServices';
import { Auth, SESSION_SECRET_KEY, SessionStore } from '../../extension/session';
import type { AuthService, StoredSession } from '../../extension/session';
import { tierSuite } from '../support/tiers';
import { MemorySecrets, MemoryState, ScriptedUi } from './helpers';

const URL_A = 'http://127.0.0.1:7300';

/** An AuthService that accepts one user and one workspace token, and records calls. */
function authService() {
  const calls: string[] = [];
  const service: AuthService = {
    async login(url, username, password) {
      calls.push(`login ${url} ${username}`);
      if (username === 'alice' && password === 'correct horse')
        return { token: 'tok-alice', expiresAt: '2030-01-01T00:00:00.000Z', username };
      throw new ServiceError(SESSION_EXPIRED_MESSAGE, 'unauthorized');
    },
    async me(url, token) {
      calls.push(`me ${url}`);
      if (token === 'ws-token') return { username: 'alice', sessionKind: 'workspace' };
      throw new ServiceError(SESSION_EXPIRED_MESSAGE, 'unauthorized');
    },
    async logout(url, token) {
      calls.push(`logout ${url} ${token}`);
    },
  };
  return { service, calls };
}

function setup(
  workspaceToken?: string,
  { injected = URL_A as string | null, serviceUrl = URL_A, known = [URL_A] } = {},
) {
  const secrets = new MemorySecrets();
  const store = new SessionStore(secrets);
  const ui = new ScriptedUi();
  const { service, calls } = authService();
  const state = new MemoryState();
  if (known.length) state.values.set(KNOWN_SERVICES_KEY, known);
  const auth = new Auth(store, service, ui, {
    serviceUrl: async () => serviceUrl,
    injectedServiceUrl: async () => injected ?? undefined,
    workspaceToken: async () => workspaceToken,
    known: new KnownServices(state),
  });
  return { secrets, store, ui, auth, calls, state };
}

tierSuite('unit', 'extension session', () => {
  it('signs in with username then a password box, storing only in SecretStorage', async () => {
    const { secrets, store, ui, auth } = setup();
    ui.answers.push('  alice ', 'correct horse');
    assert.equal(await auth.signIn(), true);
    assert.equal(ui.asked[0]?.password ?? false, false);
    assert.equal(ui.asked[1]?.password, true, 'the password box hides what is typed');
    const raw = secrets.values.get(SESSION_SECRET_KEY);
    assert.ok(raw);
    const stored = JSON.parse(raw) as StoredSession;
    assert.equal(stored.token, 'tok-alice');
    assert.equal(stored.username, 'alice');
    assert.equal(stored.serviceUrl, URL_A);
    assert.equal((await store.get(URL_A))?.token, 'tok-alice');
    assert.match(ui.messages('info')[0] ?? '', /Signed in to .* as alice/);
  });

  it('wrong password: a readable error, nothing stored', async () => {
    const { secrets, ui, auth } = setup();
    ui.answers.push('alice', 'wrong');
    assert.equal(await auth.signIn(), false);
    assert.equal(secrets.values.size, 0);
    assert.deepEqual(ui.messages('error'), ['Sign-in failed: wrong username or password.']);
    assert.deepEqual(ui.calls.find((c) => c.kind === 'error')?.actions, ['Try Again']);
  });

  it('cancelling either box stores nothing and calls no service', async () => {
    const { secrets, ui, auth, calls } = setup();
    ui.answers.push(undefined);
    assert.equal(await auth.signIn(), false);
    ui.answers.push('alice', undefined);
    assert.equal(await auth.signIn(), false);
    assert.equal(secrets.values.size, 0);
    assert.deepEqual(calls, []);
  });

  it('never hands a token to a service other than the one that issued it', async () => {
    const { store, ui, auth } = setup();
    ui.answers.push('alice', 'correct horse');
    await auth.signIn();
    assert.equal(
      (await store.get(`${URL_A}/`))?.token,
      'tok-alice',
      'a trailing slash is the same',
    );
    assert.equal(await store.get('http://127.0.0.1:9999'), undefined);
  });

  it('an expired session is forgotten and sign-in offered, once for many failing calls', async () => {
    const { secrets, store, ui, auth } = setup();
    ui.answers.push('alice', 'correct horse');
    await auth.signIn();
    ui.choices.push(undefined); // the user dismisses the warning
    await Promise.all([auth.expired(), auth.expired(), auth.expired()]);
    assert.equal(secrets.values.has(SESSION_SECRET_KEY), false);
    assert.equal(await store.get(), undefined);
    assert.deepEqual(ui.messages('warn'), [SESSION_EXPIRED_MESSAGE]);
    assert.deepEqual(ui.calls.find((c) => c.kind === 'warn')?.actions, ['Sign In Again']);
  });

  it('choosing Sign In on the expiry warning runs the sign-in flow', async () => {
    const { store, ui, auth } = setup();
    ui.choices.push('Sign In Again');
    ui.answers.push('alice', 'correct horse');
    await auth.expired();
    assert.equal((await store.get(URL_A))?.token, 'tok-alice');
  });

  it('signs in by itself with the workspace token, checked with auth.me', async () => {
    const { store, auth, calls } = setup('ws-token');
    assert.equal(await auth.autoSignIn(), true);
    const s = await store.get(URL_A);
    assert.equal(s?.kind, 'workspace');
    assert.equal(s?.token, 'ws-token');
    assert.deepEqual(calls, [`me ${URL_A}`]);
  });

  it('a revoked workspace token leaves the user signed out', async () => {
    const { store, auth } = setup('revoked');
    assert.equal(await auth.autoSignIn(), false);
    assert.equal(await store.get(), undefined);
  });

  it('sign-out ends the service session and deletes the secret', async () => {
    const { secrets, ui, auth, calls } = setup();
    ui.answers.push('alice', 'correct horse');
    await auth.signIn();
    await auth.signOut();
    assert.ok(calls.includes(`logout ${URL_A} tok-alice`));
    assert.equal(secrets.values.has(SESSION_SECRET_KEY), false);
  });

  it('follows changes made elsewhere (another window) through onDidChange', async () => {
    const { secrets, store } = setup();
    const seen: (string | undefined)[] = [];
    store.onDidChange((s) => seen.push(s?.username));
    const other: StoredSession = {
      token: 't2',
      serviceUrl: URL_A,
      username: 'bob',
      kind: 'user',
      expiresAt: null,
    };
    secrets.external(SESSION_SECRET_KEY, JSON.stringify(other));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal((await store.get())?.username, 'bob');
    secrets.external(SESSION_SECRET_KEY, undefined);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ['bob', undefined]);
  });

  it('treats a malformed stored value as signed out', async () => {
    const { secrets, store } = setup();
    secrets.values.set(SESSION_SECRET_KEY, '{"token": 5');
    assert.equal(await store.get(), undefined);
  });

  // --- issue 11: where a password and the workspace token may go ---

  it('the first sign-in to an address not used before asks first, showing it; No sends nothing', async () => {
    const other = 'http://127.0.0.1:9999';
    const { ui, auth, calls, secrets } = setup(undefined, { serviceUrl: other, known: [] });
    ui.confirmations.push(false);
    assert.equal(await auth.signIn(), false);
    assert.deepEqual(ui.messages('confirm'), [`Sign in to ${other}?`]);
    assert.deepEqual(calls, [], 'not even a username went there');
    assert.equal(ui.messages('ask').length, 0);
    assert.equal(secrets.values.size, 0);
  });

  it('a confirmed address is remembered in globalState and not asked about again', async () => {
    const other = 'http://127.0.0.1:9999/';
    const { ui, auth, state } = setup(undefined, { serviceUrl: other, known: [] });
    ui.confirmations.push(true);
    ui.answers.push('alice', 'correct horse');
    assert.equal(await auth.signIn(), true);
    assert.deepEqual(state.values.get(KNOWN_SERVICES_KEY), ['http://127.0.0.1:9999']);
    await auth.signOut();
    ui.answers.push('alice', 'correct horse');
    assert.equal(await auth.signIn(), true);
    assert.equal(ui.messages('confirm').length, 1, 'asked once only');
  });

  it('the address injected into the workspace needs no confirmation', async () => {
    const { ui, auth } = setup(undefined, { known: [] });
    ui.answers.push('alice', 'correct horse');
    assert.equal(await auth.signIn(), true);
    assert.equal(ui.messages('confirm').length, 0);
  });

  it('never sends the workspace token to a configured address other than the injected one', async () => {
    const { auth, calls, store } = setup('ws-token', {
      serviceUrl: 'http://attacker.invalid:7300',
      injected: URL_A,
    });
    assert.equal(await auth.autoSignIn(), false);
    assert.deepEqual(calls, []);
    assert.equal(await store.get(), undefined);
  });

  it('without an injected address the workspace token goes nowhere, not even to the default', async () => {
    const { auth, calls } = setup('ws-token', { injected: null });
    assert.equal(await auth.autoSignIn(), false);
    assert.deepEqual(calls, []);
  });

  it('the workspace session is bound to the injected address', async () => {
    const { auth, store } = setup('ws-token', { serviceUrl: `${URL_A}/` });
    assert.equal(await auth.autoSignIn(), true);
    assert.equal((await store.get())?.serviceUrl, URL_A);
  });
});
