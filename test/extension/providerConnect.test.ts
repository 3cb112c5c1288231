// "Connect GitHub or GitLab" against a real tRPC server on loopback that answers `oauth.start` and
// `oauth.poll` as contract section 4 gives them (the OAuth flow itself is the service's): every
// status, a service without the procedures, one without a client id, cancel, and a hostile
// verification address.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { z } from 'zod';
import { CredentialsBackend } from '../../extension/backend';
import { FixableError } from '../../extension/fixes';
import { ProviderConnect } from '../../extension/providerConnect';
import { SessionStore } from '../../extension/session';
import { tierSuite } from '../support/tiers';
import { MemorySecrets, ScriptedUi } from './helpers';

const t = initTRPC.create();
const TOKEN_INFO = {
  id: 'tok-1',
  type: 'git_token',
  provider: 'github',
  name: 'default',
  username: 'alice',
  url: null,
  envVar: null,
  pathPrefix: null,
  source: 'oauth',
  hint: '…wxyz',
  expiresAt: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  lastUsedAt: null,
  lastTest: { status: 'valid', detail: 'alice', checkedAt: '2026-12-01T00:00:00.000Z' },
};

interface Script {
  start?: () => unknown;
  polls: (() => unknown)[];
}

/** A tRPC service whose oauth procedures answer from `script`; `withOAuth` false: an older one. */
function fakeService(script: Script, withOAuth = true) {
  const seen: string[] = [];
  const authed = t.procedure.use(({ ctx, next }) => next({ ctx }));
  const base = {
    tokens: t.router({ list: authed.input(z.object({}).passthrough()).query(() => [TOKEN_INFO]) }),
  };
  const oauth = t.router({
    start: authed
      .input(z.object({ provider: z.enum(['github', 'gitlab']), name: z.string().optional() }))
      .mutation(({ input }) => {
        seen.push(`start ${input.provider}`);
        return (
          script.start?.() ?? {
            flowId: 'flow-1',
            userCode: 'WDJB-MJHT',
            verificationUri: 'https://github.com/login/device',
            expiresAt: new Date(Date.now() + 900_000).toISOString(),
            interval: 5,
          }
        );
      }),
    poll: authed.input(z.object({ flowId: z.string() })).query(({ input }) => {
      seen.push(`poll ${input.flowId}`);
      const next = script.polls.shift();
      if (!next) throw new Error('polled more often than scripted');
      return next();
    }),
  });
  const router = withOAuth ? t.router({ ...base, oauth }) : t.router(base);
  const server = createHTTPServer({ router, basePath: '/trpc/' });
  return { server, seen };
}

async function setup(script: Script, withOAuth = true) {
  const { server, seen } = fakeService(script, withOAuth);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sessions = new SessionStore(new MemorySecrets());
  await sessions.save({
    token: 'tok',
    serviceUrl: url,
    username: 'alice',
    kind: 'user',
    expiresAt: null,
  });
  const backend = new CredentialsBackend(sessions, {
    serviceUrl: async () => url,
    workspaceId: () => 'ws',
    onUnauthorized: () => undefined,
  });
  const ui = new ScriptedUi();
  const waits: number[] = [];
  const connect = new ProviderConnect(backend, ui, {
    wait: async (ms) => void waits.push(ms),
  });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { ui, connect, seen, waits, close };
}

const pending = () => ({ status: 'pending' });

tierSuite('unit', 'extension: Connect GitHub or GitLab (OAuth device flow)', () => {
  it('shows the code, opens the page, polls at the interval until connected', async () => {
    const s = await setup({
      polls: [pending, pending, () => ({ status: 'connected', token: TOKEN_INFO })],
    });
    try {
      s.ui.choices.push('GitHub');
      const token = await s.connect.connect();
      assert.equal(token?.hint, '…wxyz');
      assert.equal(s.ui.clipboard, 'WDJB-MJHT');
      assert.deepEqual(s.ui.opened, ['https://github.com/login/device']);
      assert.ok(
        s.ui
          .messages('progress')
          .includes('Connect GitHub: enter the code WDJB-MJHT at https://github.com/login/device'),
      );
      assert.deepEqual(s.waits, [5000, 5000, 5000]);
      assert.deepEqual(s.seen, ['start github', 'poll flow-1', 'poll flow-1', 'poll flow-1']);
      assert.equal(s.ui.messages('info').at(-1), 'Connected GitHub as alice. Token …wxyz saved.');
    } finally {
      await s.close();
    }
  });

  for (const [status, pattern] of [
    ['expired', /^The GitHub code WDJB-MJHT expired before it was approved/],
    ['denied', /^GitHub sign-in was denied/],
    ['error', /^GitHub sign-in failed: the provider said no$/],
  ] as const) {
    it(`"${status}" ends with a message and a Reconnect action`, async () => {
      const s = await setup({
        polls: [pending, () => ({ status, detail: 'the provider said no' })],
      });
      try {
        const err = await s.connect.connect('github').catch((e: unknown) => e);
        assert.ok(err instanceof FixableError, String(err));
        assert.match(err.message, pattern);
        assert.deepEqual(err.fix, {
          label: 'Reconnect',
          command: 'xaresCredentials.connectProvider',
          args: ['github'],
        });
      } finally {
        await s.close();
      }
    });
  }

  it('a service without oauth.start: says what the operator must do, offers a token instead', async () => {
    const s = await setup({ polls: [] }, false);
    try {
      const err = await s.connect.connect('gitlab').catch((e: unknown) => e);
      assert.ok(err instanceof FixableError, String(err));
      assert.match(err.message, /does not offer GitLab sign-in.*GITLAB_OAUTH_CLIENT_ID/);
      assert.equal(err.fix.command, 'xaresCredentials.addGitToken');
      assert.deepEqual(s.ui.opened, []);
    } finally {
      await s.close();
    }
  });

  it('no client id configured: names the variable the operator must set', async () => {
    const s = await setup({
      start: () => {
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: 'GitHub sign-in needs GITHUB_OAUTH_CLIENT_ID to be set on the service.',
        });
      },
      polls: [],
    });
    try {
      const err = await s.connect.connect('github').catch((e: unknown) => e);
      assert.ok(err instanceof FixableError, String(err));
      assert.match(
        err.message,
        /not set up on this credential service.*set GITHUB_OAUTH_CLIENT_ID/,
      );
      assert.equal(err.fix.label, 'Add a Token Instead');
    } finally {
      await s.close();
    }
  });

  it('cancel stops polling and saves nothing', async () => {
    const s = await setup({ polls: [pending, pending, pending] });
    try {
      s.ui.cancelProgress = true;
      assert.equal(await s.connect.connect('github'), null);
      assert.match(s.ui.messages('info').at(-1) ?? '', /cancelled/);
      assert.ok(s.seen.filter((x) => x.startsWith('poll')).length <= 1, s.seen.join(', '));
    } finally {
      await s.close();
    }
  });

  it('a flow the service forgot (NOT_FOUND) counts as expired', async () => {
    const s = await setup({
      polls: [
        () => {
          throw new TRPCError({ code: 'NOT_FOUND', message: 'No such sign-in.' });
        },
      ],
    });
    try {
      const err = await s.connect.connect('github').catch((e: unknown) => e);
      assert.ok(err instanceof FixableError);
      assert.match(err.message, /expired/);
    } finally {
      await s.close();
    }
  });

  it('never opens a verification address that is not a web page', async () => {
    const s = await setup({
      start: () => ({
        flowId: 'f',
        userCode: 'X',
        verificationUri: 'command:workbench.action.terminal.new',
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
        interval: 5,
      }),
      polls: [],
    });
    try {
      await assert.rejects(s.connect.connect('github'), /does not understand/);
      assert.deepEqual(s.ui.opened, []);
      assert.equal(s.ui.clipboard, '');
    } finally {
      await s.close();
    }
  });
});
