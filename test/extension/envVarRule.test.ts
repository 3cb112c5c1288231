// The extension refuses a custom AI key's variable name by the service's own rule
// (service/envNames.ts) before any call: one rule, so the view and the service cannot drift.
import assert from 'node:assert/strict';
import type { CredentialActions } from '../../extension/actions';
import type { CredentialsBackend } from '../../extension/backend';
import { createViewRouter } from '../../extension/viewRequests';
import * as messages from '../../protocol/messages';
import { tierSuite } from '../support/tiers';

tierSuite('unit', 'extension: custom AI key variable names', () => {
  const calls: string[] = [];
  const backend = new Proxy({}, { get: (_t, name) => async () => void calls.push(String(name)) });
  const view = createViewRouter({
    backend: backend as CredentialsBackend,
    actions: backend as CredentialActions,
    signIn: async () => undefined,
    signOut: async () => undefined,
    connect: async () => undefined,
  });
  const save = (envVar: string) =>
    view.dispatch({
      kind: 'request',
      id: 1,
      method: messages.SaveToken.method,
      params: { type: 'ai_token', provider: 'custom', token: 'k-123', envVar },
    });

  it('refuses names that run code or configure tools, with the service’s words', async () => {
    for (const name of ['NODE_OPTIONS', 'PAGER', 'GIT_ASKPASS_TOKEN', 'OPENAI_API_KEY', 'x_key']) {
      const res = await save(name);
      assert.equal(res?.ok, false, name);
      assert.match(res && !res.ok ? res.error : '', /envVar/, name);
    }
    assert.deepEqual(calls, []);
  });

  it('lets a secret-shaped name through to the service', async () => {
    const res = await save('MISTRAL_API_KEY');
    assert.equal(res?.ok, true);
    assert.ok(calls.length > 0);
  });
});
