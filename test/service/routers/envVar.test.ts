// Environment names that run code (issue 11): a custom AI key's envVar is exported into every
// shell of the workspace, so only names shaped like a secret, outside the namespaces tools read
// settings from, are accepted; at create and update (400 with a sentence), and at injection for
// rows stored before the rule (skipped, audited, never revealed).
import assert from 'node:assert/strict';
import { loadConfig } from '../../../service/config';
import { CreateTokenInput, UpdateTokenInput } from '../../../service/api/tokens';
import { createCredential } from '../../../service/store/credentials';
import { createUser } from '../../../service/accounts/users';
import { gatherBundle } from '../../../service/workspaces/bundle';
import { envFile } from '../../../service/workspaces/aiConfig';
import { forEachDialect } from '../../support/databases';
import { forEachServiceDialect } from '../../support/service';
import { tierSuite } from '../../support/tiers';
import { assertTrpcCode } from './assertions';

const RUNS_CODE = [
  'PAGER',
  'NODE_OPTIONS',
  'http_proxy',
  'HTTPS_PROXY',
  'LESSOPEN',
  'EDITOR',
  'PYTHONSTARTUP',
  'BASH_ENV',
  'PROMPT_COMMAND',
  'LD_PRELOAD',
  'GIT_SSH_COMMAND',
  'my_api_key',
];
const CONFIG_SECRETS = [
  'GIT_ASKPASS_TOKEN',
  'SSH_AGENT_KEY',
  'LD_AUDIT_KEY',
  'NPM_CONFIG__AUTH_TOKEN',
  'PIP_INDEX_TOKEN',
  'PYTHON_STARTUP_KEY',
  'DOCKER_AUTH_TOKEN',
  'KUBE_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'NODE_AUTH_TOKEN',
  'OPENAI_API_KEY',
];
const FINE = ['MY_API_KEY', 'GITHUB_TOKEN', 'DEEPSEEK_API_KEY', 'MISTRAL_API_KEY', 'X1_SECRET'];

tierSuite('unit', 'custom AI key envVar allow-list', () => {
  const create = (envVar: string) =>
    CreateTokenInput.safeParse({ type: 'ai_token', provider: 'custom', token: 'k', envVar });
  const update = (envVar: string) => UpdateTokenInput.safeParse({ id: 'abc', envVar });

  it('refuses names programs read as settings, at create and update, with a sentence', () => {
    for (const name of [...RUNS_CODE, ...CONFIG_SECRETS]) {
      const c = create(name);
      const u = update(name);
      assert.ok(!c.success, `create accepted ${name}`);
      assert.ok(!u.success, `update accepted ${name}`);
      assert.match(c.error.issues[0]?.message ?? '', /envVar/, name);
    }
  });

  it('accepts names shaped like a secret', () => {
    for (const name of FINE) {
      assert.ok(create(name).success, name);
      assert.ok(update(name).success, name);
    }
  });

  it('is what .env exports, too', () => {
    const text = envFile({
      delivery: 'environment',
      gatewayUrl: null,
      providerUrls: {
        openai: 'https://api.openai.com/v1',
        anthropic: 'https://api.anthropic.com',
        google: 'https://generativelanguage.googleapis.com',
      },
      models: { openai: 'gpt-5', anthropic: 'claude-sonnet-4-5', google: 'gemini-2.5-pro' },
      custom: [...RUNS_CODE, ...CONFIG_SECRETS, ...FINE].map((envVar) => ({
        envVar,
        value: 'v',
        name: envVar.toLowerCase(),
      })),
    });
    for (const name of [...RUNS_CODE, ...CONFIG_SECRETS.filter((n) => n !== 'OPENAI_API_KEY')]) {
      assert.doesNotMatch(text, new RegExp(`^export ${name}=`, 'm'), name);
    }
    for (const name of FINE) assert.match(text, new RegExp(`^export ${name}='v'$`, 'm'), name);
  });
});

forEachServiceDialect('custom AI key envVar over the API', (ctx) => {
  it('create and update answer 400 naming the rule; nothing is stored', async () => {
    const { svc } = ctx();
    await svc.createUser('dave', 'dave-password-1');
    const c = svc.trpc(await svc.login('dave', 'dave-password-1'));
    const refused = await assertTrpcCode(
      c.tokens.create.mutate({
        type: 'ai_token',
        provider: 'custom',
        token: 'k-1',
        envVar: 'NODE_OPTIONS',
      }),
      'BAD_REQUEST',
    );
    assert.match(refused.message, /envVar must be upper case .* _KEY, _TOKEN or _SECRET/);
    const rest = await svc.request('POST', '/api/credentials/tokens', {
      token: await svc.login('dave', 'dave-password-1'),
      body: { provider: 'custom', token: 'k-1', envVar: 'GIT_ASKPASS_TOKEN' },
    });
    assert.equal(rest.status, 400);
    assert.match(rest.text, /GIT_/);
    assert.deepEqual(await c.tokens.list.query(), []);

    const ok = await c.tokens.create.mutate({
      type: 'ai_token',
      provider: 'custom',
      token: 'k-2',
      envVar: 'DAVE_API_KEY',
    });
    const moved = await assertTrpcCode(
      c.tokens.update.mutate({ id: ok.id, envVar: 'PYTHONSTARTUP' }),
      'BAD_REQUEST',
    );
    assert.match(moved.message, /envVar/);
    assert.equal((await c.tokens.list.query())[0]?.envVar, 'DAVE_API_KEY');
  });
});

forEachDialect('custom AI keys stored before the allow-list', (store) => {
  it('are skipped at injection, audited as denied, and their secret is never revealed', async () => {
    const s = store();
    const userId = (await createUser(s.db, { username: 'erin', password: 'erin-password-1' })).id;
    for (const [envVar, secret] of [
      ['NODE_OPTIONS', '--require /tmp/evil.js'],
      ['ERIN_API_KEY', 'erin-key-1'],
    ] as const) {
      await createCredential(s.db, s.keyring, {
        userId,
        type: 'ai_token',
        provider: 'custom',
        name: envVar.toLowerCase().replace(/_/g, '-'),
        secret,
        envVar,
      });
    }
    const config = loadConfig({ ...process.env, CREDENTIAL_DATABASE_URL: s.databaseUrl });
    const bundle = await gatherBundle(
      s.db,
      s.keyring,
      config,
      {
        userId,
        username: 'erin',
        workspaceId: 'e1e1e1e1e1e1e1e1',
        ipAddress: null,
        userAgent: null,
      },
      {
        // Environment mode: the keys themselves are what .env would carry.
        delivery: 'environment',
        gatewayUrl: 'http://127.0.0.1:7300/ai',
        mintGatewayToken: async () => assert.fail('no gateway token in environment mode'),
      },
    );
    assert.deepEqual(bundle.ai.custom, [
      { envVar: 'ERIN_API_KEY', value: 'erin-key-1', name: 'erin-api-key' },
    ]);
    const rows = await s.db
      .selectFrom('audit_log')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    const inject = rows.filter((r) => r.action === 'inject');
    assert.deepEqual(
      inject.map((r) => [r.name, r.outcome]),
      [
        ['erin-api-key', 'success'],
        ['node-options', 'denied'],
      ],
    );
    assert.match(inject[1]?.detail ?? '', /NODE_OPTIONS/);
  });
});
