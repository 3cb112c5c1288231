import assert from 'node:assert/strict';
import { CredentialActions } from '../../extension/actions';
import { CredentialsBackend } from '../../extension/backend';
import { ServiceError } from '../../extension/client';
import { KnownServices } from '../../extension/knownServices';
import { Auth, SessionStore } from '../../extension/session';
import { createViewRouter } from '../../extension/viewRequests';
import * as messages from '../../protocol/messages';
import { startTestService } from '../support/service';
import type { TestService } from '../support/service';
import { tierSuite } from '../support/tiers';
import { MemorySecrets, MemoryState, ScriptedUi } from './helpers';

// The view's actions of issues 13 and 14 against the real service (SQLite). Where the service
// in this tree predates a procedure or field (ai.usage, pathPrefix, aiKeyDelivery, commitSigning,
// key usages), the test checks the extension degrades with a sentence and changes nothing; once
// the service has it, the same test checks that it works.
tierSuite('sqlite', 'Credentials view: several git accounts, settings, AI usage', function () {
  let svc: TestService;
  let ui: ScriptedUi;
  let backend: CredentialsBackend;
  let actions: CredentialActions;

  before(async () => {
    svc = await startTestService({ dialect: 'sqlite' });
    await svc.createUser('erin', 'pw-erin-123456');
    const sessions = new SessionStore(new MemorySecrets());
    ui = new ScriptedUi();
    backend = new CredentialsBackend(sessions, {
      serviceUrl: async () => svc.url,
      workspaceId: () => 'nowhere',
      onUnauthorized: () => undefined,
    });
    actions = new CredentialActions(backend, ui, () => 'nowhere');
    const auth = new Auth(sessions, backend.auth, ui, {
      serviceUrl: async () => svc.url,
      injectedServiceUrl: async () => undefined,
      workspaceToken: async () => undefined,
      known: new KnownServices(new MemoryState()),
    });
    ui.confirmations.push(true);
    ui.answers.push('erin', 'pw-erin-123456');
    assert.equal(await auth.signIn(), true);
  });
  after(async () => {
    await svc?.close();
  });

  const router = () =>
    createViewRouter({
      backend,
      actions,
      signIn: async () => undefined,
      signOut: async () => undefined,
      connect: async () => undefined,
    });

  it('saves a work and a personal GitHub token side by side, renames and deletes one', async () => {
    const work = await backend.saveToken({
      type: 'git_token',
      provider: 'github',
      name: 'work',
      token: 'ghp_erin_work_00000001',
    });
    const personal = await backend.saveToken({
      type: 'git_token',
      provider: 'github',
      name: 'personal',
      token: 'ghp_erin_personal_0002',
    });
    assert.notEqual(work.id, personal.id);
    const state = await backend.loadState();
    assert.ok(state.signedIn);
    const github = state.tokens.filter((t) => t.provider === 'github');
    assert.deepEqual(github.map((t) => t.name).sort(), ['personal', 'work']);
    for (const t of github) {
      assert.equal(t.source, 'pasted');
      assert.equal(t.needsReconnect, false);
    }
    assert.ok(!JSON.stringify(state).includes('ghp_erin'), 'hints only');

    // Rename through the view's message, as the webview sends it.
    const renamed = await router().dispatch(
      messages.request(messages.RenameToken, 1, { id: personal.id, name: 'private' }),
    );
    assert.ok(renamed?.ok, JSON.stringify(renamed));
    assert.deepEqual((await backend.listTokens()).map((t) => t.name).sort(), ['private', 'work']);

    // A name taken by another token of that provider is the service's CONFLICT, in words.
    const clash = await router().dispatch(
      messages.request(messages.RenameToken, 2, { id: personal.id, name: 'work' }),
    );
    assert.equal(clash?.ok, false);
    assert.doesNotMatch(clash && !clash.ok ? clash.error : '', /at |\n|SQL/i);

    // Delete asks first: declining keeps the token.
    ui.confirmations.push(false);
    const kept = await router().dispatch(
      messages.request(messages.DeleteToken, 3, { id: personal.id }),
    );
    assert.deepEqual(kept && kept.ok && kept.result, false);
    assert.equal((await backend.listTokens()).length, 2);
    ui.confirmations.push(true);
    const gone = await router().dispatch(
      messages.request(messages.DeleteToken, 4, { id: personal.id }),
    );
    assert.deepEqual(gone && gone.ok && gone.result, true);
    assert.match(ui.messages('confirm').at(-1) ?? '', /Delete the GitHub token "private"/);
    assert.deepEqual(
      (await backend.listTokens()).map((t) => t.name),
      ['work'],
    );
  });

  it('a path prefix is kept by the service, or refused with nothing saved: never dropped', async () => {
    const before = await backend.listTokens();
    let saved;
    try {
      saved = await backend.saveToken({
        type: 'git_token',
        provider: 'github',
        name: 'acme',
        pathPrefix: 'acme',
        token: 'ghp_erin_acme_00000003',
      });
    } catch (err) {
      assert.ok(err instanceof ServiceError);
      assert.match(err.message, /does not know path prefixes yet/);
      // The token the older service created without its prefix is deleted again.
      assert.deepEqual(
        (await backend.listTokens()).map((t) => t.id),
        before.map((t) => t.id),
      );
      return;
    }
    assert.equal(saved.pathPrefix, 'acme');
    const listed = (await backend.listTokens()).find((t) => t.id === saved.id);
    assert.equal(listed?.pathPrefix, 'acme');
  });

  it('settings: autoInject off by default; a setting the service lacks is refused, not dropped', async () => {
    const settings = await backend.getSettings();
    assert.equal(settings.autoInject, false);
    for (const patch of [{ aiKeyDelivery: 'environment' as const }, { commitSigning: true }]) {
      const key = Object.keys(patch)[0] as 'aiKeyDelivery' | 'commitSigning';
      if (settings[key] === null) {
        await assert.rejects(backend.updateSettings(patch), (err: Error) => {
          assert.match(err.message, new RegExp(`does not offer the ${key} setting yet`));
          return true;
        });
      } else {
        const next = await backend.updateSettings(patch);
        assert.equal(next[key], Object.values(patch)[0]);
      }
    }
    const after = await backend.updateSettings({ autoInject: true });
    assert.equal(after.autoInject, true);
  });

  it('AI usage: the report, or a sentence when the service has none; the view still loads', async () => {
    const usage = await backend.aiUsage();
    if (usage.available) {
      assert.ok(Array.isArray(usage.today) && Array.isArray(usage.month));
    } else {
      assert.match(usage.reason, /does not report AI usage yet/);
    }
    const state = await backend.loadState();
    assert.ok(state.signedIn);
    assert.deepEqual(state.aiUsage, usage);
  });

  it('registering a signing key on a service without usages is refused before any call', async () => {
    ui.confirmations.push(true);
    await actions.generateSshKey();
    const settings = await backend.getSettings();
    if (settings.commitSigning !== null) return; // the service knows usages: h8's tests cover it
    const key = await backend.defaultSshKey();
    await assert.rejects(
      actions.registerSshKey('github', 'signing'),
      /cannot register a signing key yet/,
    );
    assert.deepEqual((await backend.defaultSshKey())?.registrations, key?.registrations);
  });
});
