// The Accounts-menu provider over the stored session: what VS Code and other extensions get from
// getSessions/createSession/removeSession, and the change events that keep the menu current.
import assert from 'node:assert/strict';
import { AccountProvider, toAccountSession } from '../../extension/accountProvider';
import { fixFor, fixes } from '../../extension/fixes';
import { ServiceError } from '../../extension/client';
import { SESSION_SECRET_KEY, SessionStore } from '../../extension/session';
import type { StoredSession } from '../../extension/session';
import { tierSuite } from '../support/tiers';
import { MemorySecrets } from './helpers';

const URL_A = 'http://127.0.0.1:7300';
const ALICE: StoredSession = {
  token: 'tok-alice',
  serviceUrl: URL_A,
  username: 'alice',
  kind: 'user',
  expiresAt: null,
};
const tick = () => new Promise((r) => setTimeout(r, 10));

function setup(serviceUrl = URL_A) {
  const secrets = new MemorySecrets();
  const store = new SessionStore(secrets);
  const calls: string[] = [];
  const auth = {
    signIn: async () => {
      calls.push('signIn');
      await store.save(ALICE);
      return true;
    },
    signOut: async () => {
      calls.push('signOut');
      await store.clear();
    },
  };
  const provider = new AccountProvider(store, auth, async () => serviceUrl);
  const events: { added: string[]; removed: string[] }[] = [];
  provider.onDidChangeSessions((e) =>
    events.push({
      added: (e.added ?? []).map((s) => s.account.label),
      removed: (e.removed ?? []).map((s) => s.account.label),
    }),
  );
  return { secrets, store, provider, calls, events };
}

tierSuite('unit', 'extension Accounts menu provider', () => {
  it('lists the signed-in account with the session token, for the scopes [] only', async () => {
    const { store, provider } = setup();
    assert.deepEqual(await provider.getSessions(undefined), []);
    await store.save(ALICE);
    const [session] = await provider.getSessions([]);
    assert.equal(session?.account.label, 'alice');
    assert.equal(session?.accessToken, 'tok-alice');
    assert.ok(!session?.id.includes('tok-alice'), 'the id does not reveal the token');
    assert.deepEqual(await provider.getSessions(['repo']), []);
  });

  it('a session of another service is not offered', async () => {
    const { store, provider } = setup('http://127.0.0.1:9999');
    await store.save(ALICE);
    assert.deepEqual(await provider.getSessions(undefined), []);
  });

  it('createSession runs the sign-in flow; removeSession signs out; the menu hears both', async () => {
    const { provider, calls, events, secrets } = setup();
    const created = await provider.createSession([]);
    assert.equal(created.account.label, 'alice');
    assert.deepEqual(calls, ['signIn']);
    await provider.removeSession(created.id);
    assert.deepEqual(calls, ['signIn', 'signOut']);
    assert.equal(secrets.values.has(SESSION_SECRET_KEY), false);
    await tick();
    assert.deepEqual(events, [
      { added: ['alice'], removed: [] },
      { added: [], removed: ['alice'] },
    ]);
  });

  it('follows a sign-out made elsewhere (the view, another window)', async () => {
    const { secrets, events } = setup();
    secrets.external(SESSION_SECRET_KEY, JSON.stringify(ALICE));
    await tick();
    secrets.external(SESSION_SECRET_KEY, undefined);
    await tick();
    assert.deepEqual(events, [
      { added: ['alice'], removed: [] },
      { added: [], removed: ['alice'] },
    ]);
  });

  it('a workspace session is labelled as such', () => {
    assert.equal(
      toAccountSession({ ...ALICE, kind: 'workspace' }).account.label,
      'alice (workspace)',
    );
  });
});

tierSuite('unit', 'extension error fixes', () => {
  it('every service error kind gets the action that fixes it', () => {
    const fix = (kind: ServiceError['kind'], id = 'testAll') =>
      fixFor(new ServiceError('x', kind), id).label;
    assert.equal(fix('signed_out'), 'Sign In');
    assert.equal(fix('unauthorized'), 'Sign In Again');
    assert.equal(fix('network'), 'Open Settings');
    assert.equal(fix('forbidden'), 'Sign In');
    assert.deepEqual(fixFor(new ServiceError('x', 'not_found'), 'injectWorkspace'), {
      ...fixes.openSettings('xaresCredentials.workspaceId'),
    });
    assert.deepEqual(fixFor(new ServiceError('x', 'conflict'), 'addGitToken'), {
      label: 'Try Again',
      command: 'xaresCredentials.addGitToken',
    });
    assert.equal(fixFor(new Error('boom'), 'clearAll').label, 'Try Again');
  });
});
