import assert from 'node:assert/strict';
import { z } from 'zod';
import { ServiceError } from '../../extension/client';
import { MessageRouter } from '../../extension/messageRouter';
import { createViewRouter } from '../../extension/viewRequests';
import type { CredentialActions } from '../../extension/actions';
import type { CredentialsBackend } from '../../extension/backend';
import * as messages from '../../protocol/messages';
import type { MessageType } from '../../protocol/messages';
import { tierSuite } from '../support/tiers';

const Echo: MessageType<{ n: number }, number> = { method: 'test/echo' };
const Fail: MessageType<undefined, void> = { method: 'test/fail' };

function router() {
  const ran: string[] = [];
  const r = new MessageRouter()
    .onRequest(Echo, z.object({ n: z.number().int() }), async ({ n }) => n * 2)
    .onRequest(Fail, z.undefined(), async () => {
      throw new Error('first line\n    at secret (/home/x/file.ts:1:1)');
    })
    .onCommand(messages.Ready, () => void ran.push('ready'));
  return { r, ran };
}

tierSuite('unit', 'extension message routing', () => {
  it('answers a request with its result and the same id', async () => {
    const { r } = router();
    assert.deepEqual(await r.dispatch(messages.request(Echo, 7, { n: 21 })), {
      kind: 'response',
      id: 7,
      ok: true,
      result: 42,
    });
  });

  it('answers invalid params with an error, not silence', async () => {
    const { r } = router();
    const res = await r.dispatch({
      kind: 'request',
      id: 3,
      method: 'test/echo',
      params: { n: 'x' },
    });
    assert.equal(res?.ok, false);
    assert.equal(res?.id, 3);
    assert.match(res && !res.ok ? res.error : '', /^Invalid input: n: /);
  });

  it('answers an unknown request with an error', async () => {
    const { r } = router();
    const res = await r.dispatch({ kind: 'request', id: 9, method: 'nope', params: null });
    assert.deepEqual(res, { kind: 'response', id: 9, ok: false, error: 'Unknown request "nope".' });
  });

  it('a failing handler answers one line, no stack', async () => {
    const { r } = router();
    const res = await r.dispatch(messages.request(Fail, 4, undefined));
    assert.deepEqual(res, { kind: 'response', id: 4, ok: false, error: 'first line' });
  });

  it('runs commands, ignores junk without answering', async () => {
    const { r, ran } = router();
    assert.equal(await r.dispatch(messages.command(messages.Ready, undefined)), undefined);
    assert.deepEqual(ran, ['ready']);
    for (const junk of [null, 42, 'ready', { kind: 'request', id: 'x', method: 'a' }, []]) {
      assert.equal(await r.dispatch(junk), undefined);
    }
  });

  describe('the view router', () => {
    // The backend and actions are never reached in these cases: each call records itself and
    // fails like a signed-out backend would.
    const calls: string[] = [];
    const failing = new Proxy(
      {},
      {
        get: (_t, name) => () => {
          calls.push(String(name));
          return Promise.reject(new ServiceError('You are not signed in.', 'signed_out'));
        },
      },
    );
    const view = createViewRouter({
      backend: failing as CredentialsBackend,
      actions: failing as CredentialActions,
      signIn: async () => undefined,
      signOut: async () => undefined,
      connect: async () => {
        calls.push('connect');
        throw new ServiceError('You are not signed in.', 'signed_out');
      },
    });
    const requestTypes = Object.values(messages).filter(
      (v): v is MessageType<unknown, unknown> =>
        typeof v === 'object' &&
        v !== null &&
        'method' in v &&
        v !== messages.Ready &&
        v !== messages.StateChanged &&
        v !== messages.FocusSection,
    );

    it('has a handler for every request type of the protocol', async () => {
      assert.ok(requestTypes.length >= 15);
      for (const [i, type] of requestTypes.entries()) {
        const res = await view.dispatch({
          kind: 'request',
          id: i,
          method: type.method,
          params: null,
        });
        assert.ok(res, type.method);
        const error = res.ok ? '' : res.error;
        assert.ok(!error.startsWith('Unknown request'), `${type.method}: ${error}`);
      }
    });

    it('turns a service error into the response error', async () => {
      calls.length = 0;
      const res = await view.dispatch(messages.request(messages.GetState, 1, undefined));
      assert.deepEqual(res, {
        kind: 'response',
        id: 1,
        ok: false,
        error: 'You are not signed in.',
      });
      assert.deepEqual(calls, ['loadState']);
    });

    it('refuses a token with a line break before any service call', async () => {
      calls.length = 0;
      const res = await view.dispatch(
        messages.request(messages.SaveToken, 2, {
          type: 'git_token',
          provider: 'github',
          token: 'ghp_a\nInjected: header',
        }),
      );
      assert.equal(res?.ok, false);
      assert.match(res && !res.ok ? res.error : '', /control characters/);
      assert.deepEqual(calls, []);
    });

    it('refuses mismatched provider and type, and a Forgejo token without URL', async () => {
      for (const params of [
        { type: 'ai_token', provider: 'github', token: 't' },
        { type: 'git_token', provider: 'forgejo', token: 't' },
        { type: 'ai_token', provider: 'custom', token: 't' },
      ]) {
        const res = await view.dispatch({
          kind: 'request',
          id: 5,
          method: messages.SaveToken.method,
          params,
        });
        assert.equal(res?.ok, false, JSON.stringify(params));
      }
      assert.deepEqual(calls, []);
    });

    it('refuses what a hostile webview could send for the new requests, before any call', async () => {
      calls.length = 0;
      const bad: [{ method: string }, unknown][] = [
        [
          messages.SaveToken,
          { type: 'git_token', provider: 'github', token: 't', pathPrefix: '../other' },
        ],
        [
          messages.SaveToken,
          { type: 'git_token', provider: 'github', token: 't', pathPrefix: 'acme/../x' },
        ],
        [
          messages.SaveToken,
          { type: 'git_token', provider: 'github', token: 't', pathPrefix: '/acme' },
        ],
        [
          messages.SaveToken,
          { type: 'git_token', provider: 'github', token: 't', pathPrefix: 'a\nb' },
        ],
        [
          messages.SaveToken,
          { type: 'ai_token', provider: 'openai', token: 't', pathPrefix: 'acme' },
        ],
        [
          messages.SaveToken,
          { type: 'git_token', provider: 'github', token: 't', name: 'my token' },
        ],
        [messages.RenameToken, { id: '1', name: '' }],
        [messages.RenameToken, { id: '1', name: 'a/b' }],
        [messages.RenameToken, { id: '1', name: 'x'.repeat(101) }],
        [messages.ConnectProvider, { provider: 'forgejo' }],
        [messages.ConnectProvider, { provider: 'javascript:alert(1)' }],
        [messages.RegisterSshKey, { provider: 'github', usage: 'root' }],
        [messages.UpdateSettings, { aiKeyDelivery: 'plaintext' }],
        [messages.UpdateSettings, { commitSigning: 'yes' }],
        [messages.UpdateSettings, { aiKeyDelivery: null }],
        [messages.UpdateSettings, { masterKey: 'x' }],
      ];
      for (const [type, params] of bad) {
        const res = await view.dispatch({ kind: 'request', id: 8, method: type.method, params });
        assert.equal(res?.ok, false, `${type.method} ${JSON.stringify(params)}`);
        assert.match(res && !res.ok ? res.error : '', /^Invalid input/);
      }
      assert.deepEqual(calls, []);
    });

    it('passes good new requests on: rename, connect, usage, register for signing', async () => {
      calls.length = 0;
      for (const [type, params] of [
        [messages.RenameToken, { id: '1', name: 'work' }],
        [messages.ConnectProvider, { provider: 'gitlab' }],
        [messages.GetAiUsage, undefined],
        [messages.RegisterSshKey, { provider: 'github', usage: 'signing' }],
        [messages.UpdateSettings, { aiKeyDelivery: 'environment', commitSigning: true }],
        [
          messages.SaveToken,
          {
            type: 'git_token',
            provider: 'github',
            token: 't',
            name: 'work',
            pathPrefix: 'acme/tools',
          },
        ],
      ] as [{ method: string }, unknown][]) {
        await view.dispatch({ kind: 'request', id: 9, method: type.method, params });
      }
      assert.deepEqual(calls, [
        'renameToken',
        'connect',
        'aiUsage',
        'registerSshKey',
        'updateSettings',
        'saveToken',
      ]);
    });
  });
});
