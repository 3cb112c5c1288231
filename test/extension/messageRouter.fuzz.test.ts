// Property-based fuzzing of the webview message router (issue #16): whatever a compromised or
// buggy webview posts, the host never throws, answers every request exactly once with its own id,
// answers errors as one readable line, and leaks no secret the backend knows. The request types
// are read from protocol/messages.ts, so a new message is fuzzed without editing this file.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ServiceError } from '../../extension/client';
import { createViewRouter } from '../../extension/viewRequests';
import type { CredentialActions } from '../../extension/actions';
import type { CredentialsBackend } from '../../extension/backend';
import * as messages from '../../protocol/messages';
import type { MessageType } from '../../protocol/messages';
import { tierSuite } from '../support/tiers';

const CANARY = 'ghp_ROUTERFUZZCANARY0123456789abcdef';

tierSuite('unit', 'extension message routing under fuzzing', () => {
  // Every backend and action call fails in one of the ways the real ones can: a service error
  // (shown to the user), or an unexpected error whose text carries a stack and a secret (which
  // must be cut to one line and never reach the webview).
  let flip = 0;
  const backend = new Proxy(
    {},
    {
      get: () => () => {
        flip++;
        if (flip % 3 === 0) return Promise.resolve({ ok: true });
        if (flip % 3 === 1) {
          return Promise.reject(new ServiceError('The service refused this.', 'invalid'));
        }
        return Promise.reject(new Error(`failed\n    at leak (/x.ts:1:1) token=${CANARY}`));
      },
    },
  );
  const view = createViewRouter({
    backend: backend as CredentialsBackend,
    actions: backend as CredentialActions,
    signIn: async () => undefined,
    signOut: async () => undefined,
    connect: async () => undefined,
  });
  const methods = Object.values(messages)
    .filter((v): v is MessageType<unknown, unknown> => typeof v === 'object' && v !== null)
    .map((t) => t.method);

  const junk = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom('type', 'provider', 'token', 'id', 'name', 'url', 'envVar', 'format', 'x'),
        tie('value'),
        { maxKeys: 5 },
      ),
    ),
  })).value;

  it('answers every well-formed request once, with its id, in one clean line', async function () {
    this.timeout(120_000);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...methods, 'nope', '', '__proto__', 'constructor'),
        fc.integer(),
        junk,
        async (method, id, params) => {
          const res = await view.dispatch({ kind: 'request', id, method, params });
          assert.ok(res, `${method}: a request got no answer`);
          assert.equal(res.id, id);
          if (!res.ok) {
            assert.ok(res.error.length > 0 && res.error.length <= 300, res.error);
            assert.ok(!res.error.includes('\n'), `${method}: a multi-line error`);
            assert.doesNotMatch(res.error, /\bat \S+ \(|\.ts:\d+/);
          }
          assert.ok(!JSON.stringify(res).includes(CANARY), `${method}: the secret leaked`);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('never throws and never answers anything that is not a request', async function () {
    this.timeout(60_000);
    await fc.assert(
      fc.asyncProperty(junk, async (message) => {
        const res = await view.dispatch(message);
        const isRequest =
          typeof message === 'object' &&
          message !== null &&
          (message as { kind?: unknown }).kind === 'request';
        if (!isRequest) assert.equal(res, undefined);
      }),
      { numRuns: 2_000 },
    );
  });
});
