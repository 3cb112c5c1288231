import assert from 'node:assert/strict';
import { CredentialActions } from '../../extension/actions';
import { revokeUserSessions } from '../../service/accounts/sessions';
import { CredentialsBackend } from '../../extension/backend';
import { KnownServices } from '../../extension/knownServices';
import { Auth, SessionStore } from '../../extension/session';
import { startFakeProviders } from '../support/fakeProviders';
import type { FakeProviders } from '../support/fakeProviders';
import { startTestService } from '../support/service';
import type { TestService } from '../support/service';
import { tierSuite } from '../support/tiers';
import { MemorySecrets, MemoryState, ScriptedUi } from './helpers';

// Host logic against the real service (SQLite) and loopback provider fakes: only the editor's
// UI is scripted.
tierSuite('sqlite', 'extension actions against the real service', function () {
  let fake: FakeProviders;
  let svc: TestService;
  let ui: ScriptedUi;
  let backend: CredentialsBackend;
  let actions: CredentialActions;
  let expired = 0;

  before(async () => {
    fake = await startFakeProviders();
    svc = await startTestService({ dialect: 'sqlite', env: fake.env });
    await svc.createUser('carol', 'pw-carol-12345');
    fake.github.addToken('ghp_carol_valid_0001', { login: 'carol', scopes: ['repo'] });
    const sessions = new SessionStore(new MemorySecrets());
    ui = new ScriptedUi();
    backend = new CredentialsBackend(sessions, {
      serviceUrl: async () => svc.url,
      workspaceId: () => 'nowhere',
      onUnauthorized: () => expired++,
    });
    actions = new CredentialActions(backend, ui, () => 'nowhere');
    const auth = new Auth(sessions, backend.auth, ui, {
      serviceUrl: async () => svc.url,
      injectedServiceUrl: async () => undefined,
      workspaceToken: async () => undefined,
      known: new KnownServices(new MemoryState()),
    });
    ui.confirmations.push(true); // the first sign-in to this address asks first
    ui.answers.push('carol', 'pw-carol-12345');
    assert.equal(await auth.signIn(), true);
    ui.calls.length = 0;
  });
  after(async () => {
    await svc?.close();
    await fake?.close();
  });

  it('generates a key, and asks before replacing it; declining keeps it', async () => {
    const first = await actions.generateSshKey();
    assert.ok(first);
    assert.match(first.publicKey, /^ssh-ed25519 /);
    assert.equal(ui.messages('confirm').length, 0, 'no question when there is no key yet');

    ui.confirmations.push(false);
    assert.equal(await actions.generateSshKey(), null);
    assert.equal((await backend.defaultSshKey())?.fingerprint, first.fingerprint);

    ui.confirmations.push(true);
    const second = await actions.generateSshKey();
    assert.ok(second);
    assert.notEqual(second.fingerprint, first.fingerprint);
    assert.deepEqual(ui.messages('confirm'), ['Replace your SSH key?', 'Replace your SSH key?']);
  });

  it('copy puts exactly the public key on the clipboard', async () => {
    await actions.copyPublicKey();
    assert.equal(ui.clipboard, (await backend.defaultSshKey())?.publicKey);
  });

  it('saves tokens (second save replaces the value), tests all, says what happened', async () => {
    const saved = await backend.saveToken({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_carol_wrong_0000',
    });
    assert.equal(saved.hint, '…0000');
    const replaced = await backend.saveToken({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_carol_valid_0001',
    });
    assert.equal(replaced.id, saved.id, 'same token, new value');
    assert.equal(replaced.hint, '…0001');
    await backend.saveToken({ type: 'ai_token', provider: 'openai', token: 'sk-unknown-9999' });

    const seen: number[] = [];
    backend.onDidChangeTokens((t) => seen.push(t?.length ?? -1));
    const r = await actions.testAll();
    assert.deepEqual(r, { passed: 1, failed: 1 });
    const summary = ui.messages('warn').at(-1) ?? '';
    assert.match(summary, /^Tested 2 tokens: /);
    assert.match(summary, /GitHub: valid/);
    assert.match(summary, /OpenAI: invalid/);
    assert.ok(seen.length > 0, 'the status bar hears about the new results');
    const tokens = await backend.listTokens();
    assert.equal(tokens.find((t) => t.provider === 'github')?.lastTest?.status, 'valid');
    assert.ok(!JSON.stringify(tokens).includes('ghp_carol'), 'hints only');
    // Long work reports progress, token by token; the failure offers where to fix it.
    assert.ok(ui.messages('progress').includes('Testing all tokens…'));
    const reports = ui.messages('report').slice(-2);
    assert.deepEqual(reports.map((r) => r.replace(/^\w+ /, '')).sort(), ['(1 of 2)', '(2 of 2)']);
    assert.deepEqual(ui.calls.filter((c) => c.kind === 'warn').at(-1)?.actions, [
      'Open Credentials',
    ]);
  });

  it('a failed test offers the fix: Reconnect for GitHub, the view for an AI key', async () => {
    const tokens = await backend.listTokens();
    const openai = tokens.find((t) => t.provider === 'openai')!;
    ui.choices.push('Open Credentials');
    await actions.testToken(openai);
    assert.deepEqual(ui.calls.filter((c) => c.kind === 'warn').at(-1)?.actions, [
      'Open Credentials',
    ]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ui.commands.at(-1), { command: 'xaresCredentials.open', args: ['ai'] });

    const github = await backend.saveToken({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_carol_revoked_03',
    });
    ui.choices.push('Reconnect');
    await actions.testToken(github);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ui.commands.at(-1), {
      command: 'xaresCredentials.connectProvider',
      args: ['github'],
    });
    await backend.saveToken({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_carol_valid_0001',
    });
  });

  it('registers the SSH key under progress; a refusal offers to reconnect', async () => {
    // carol's token has no admin:public_key scope: GitHub refuses, and a new sign-in fixes it.
    const r = await actions.registerSshKey('github');
    assert.equal(r.status, 'error');
    assert.ok(ui.messages('progress').includes('Registering your SSH key with GitHub…'));
    const warning = ui.calls.filter((c) => c.kind === 'warn').at(-1);
    assert.match(warning?.text ?? '', /^GitHub did not take the SSH key: .*scope/);
    assert.deepEqual(warning?.actions, ['Reconnect']);
  });

  it('Clear All does nothing unless confirmed, then deletes everything', async () => {
    ui.confirmations.push(false);
    assert.equal(await actions.clearAll(), null);
    assert.equal((await backend.listTokens()).length, 2);

    ui.confirmations.push(true);
    const r = await actions.clearAll();
    assert.ok(r && r.deleted >= 3, JSON.stringify(r));
    assert.equal((await backend.listTokens()).length, 0);
    assert.equal(await backend.defaultSshKey(), null);
    assert.equal(expired, 0);
  });

  it('a revoked session reports expiry once and says so in words', async () => {
    // As `user disable` or a sign-out elsewhere does it: through the store, so the service's
    // session cache forgets them too.
    const db = svc.service.store.db;
    const carol = await db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'carol')
      .executeTakeFirstOrThrow();
    await revokeUserSessions(db, carol.id);
    await assert.rejects(backend.listTokens(), /Your session has expired\. Sign in again\./);
    assert.equal(expired, 1);
  });
});
