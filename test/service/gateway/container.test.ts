// Both delivery modes in a real container (docker tier): the real SDK clients run INSIDE the
// workspace, with the host's node and this project's node_modules bind-mounted read-only, and
// are configured from nothing but what the injection put in the login shell's environment.
// Gateway mode: every call goes through the gateway to the fakes, which see the real keys; the
// container's whole home and every process environment hold none of them. Environment mode: the
// keys are in ~/.env and in no other file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { createSession } from '../../../service/accounts/sessions';
import { execIn, TEST_IMAGE, TEST_LABEL, testDocker } from '../../support/docker';
import { type FakeProviders, startFakeProviders } from '../../support/fakeProviders';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

const ROOT = path.join(__dirname, '..', '..', '..');
const HOME = '/home/coder';
const TEXT = 'Hello from the fake provider.';
const CALLS = [
  'openaiPlain',
  'openaiStream',
  'anthropicPlain',
  'anthropicStream',
  'googlePlain',
  'googleStream',
];

tierSuite('docker', 'AI key delivery in a real container', function () {
  this.timeout(180_000);
  let fake: FakeProviders;
  let svc: TestService;
  let container: Docker.Container;
  let userToken = '';
  const suffix = randomBytes(8).toString('hex');
  const keys = {
    openai: `sk-container-openai-${suffix}`,
    anthropic: `sk-ant-container-${suffix}`,
    google: `AIza-container-${suffix}`,
    custom: `sk-container-custom-${suffix}`,
  };

  const sh = (script: string, user = 'coder') =>
    execIn(container, ['bash', '-c', script], { user, timeoutMs: 90_000 });
  /** Runs the SDK script in a login shell, the way a terminal of the workspace would. */
  const runSdks = async (env: string[] = []) => {
    const r = await execIn(
      container,
      ['bash', '-lc', 'NODE_PATH=/opt/xares/node_modules /opt/xares/node /opt/xares/sdkCheck.cjs'],
      { env, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<
      string,
      { ok?: string; error?: string }
    >;
  };
  /** Files under the home (and every process environment) that hold `secret`. */
  const whereInContainer = async (secret: string) => {
    const files = await sh(`grep -rlF -- '${secret}' ${HOME} || true`, 'root');
    const envs = await sh(`grep -alF -- '${secret}' /proc/[0-9]*/environ || true`, 'root');
    return [...files.stdout.split('\n'), ...envs.stdout.split('\n')].filter(Boolean);
  };

  before(async function () {
    fake = await startFakeProviders();
    fake.openai.addToken(keys.openai);
    fake.openai.addToken(keys.custom);
    fake.anthropic.addToken(keys.anthropic);
    fake.google.addToken(keys.google);
    svc = await startTestService({ dialect: 'sqlite', env: fake.env });
    await svc.createUser('delivery', 'delivery-password-1');
    userToken = await svc.login('delivery', 'delivery-password-1');
    const trpc = svc.trpc(userToken);
    await trpc.tokens.create.mutate({ type: 'ai_token', provider: 'openai', token: keys.openai });
    await trpc.tokens.create.mutate({
      type: 'ai_token',
      provider: 'anthropic',
      token: keys.anthropic,
    });
    await trpc.tokens.create.mutate({ type: 'ai_token', provider: 'google', token: keys.google });
    await trpc.tokens.create.mutate({
      type: 'ai_token',
      provider: 'custom',
      name: 'mine',
      token: keys.custom,
      envVar: 'MINE_API_KEY',
      url: `${fake.openai.origin}/v1`,
    });
    container = await testDocker().createContainer({
      Image: TEST_IMAGE,
      name: `xares-test-ai-${suffix}`,
      Labels: { [TEST_LABEL]: '1', 'xaresaicoder.owner': 'delivery' },
      Cmd: ['sleep', 'infinity'],
      HostConfig: {
        NetworkMode: 'host',
        Init: true,
        Binds: [
          `${process.execPath}:/opt/xares/node:ro`,
          `${path.join(ROOT, 'node_modules')}:/opt/xares/node_modules:ro`,
          `${path.join(__dirname, 'sdkCheck.cjs')}:/opt/xares/sdkCheck.cjs:ro`,
        ],
      },
    });
    await container.start();
  });
  after(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
    await svc?.close();
    await fake?.close();
  });

  it('gateway mode (the default): SDKs work through the gateway, no key in the container', async () => {
    const trpc = svc.trpc(userToken);
    assert.equal((await trpc.settings.get.query()).aiKeyDelivery, 'gateway');
    const injected = await trpc.workspaces.inject.mutate({ workspaceId: container.id });
    assert.ok(injected.files.includes('bin/xares-ai-key'));
    fake.clearRequests();

    const results = await runSdks();
    for (const call of CALLS)
      assert.equal(results[call]?.ok, TEXT, `${call}: ${JSON.stringify(results[call])}`);
    for (const [provider, key] of Object.entries(keys)) {
      if (provider === 'custom') continue;
      assert.ok(fake.whereSeen(key).length >= 2, `the ${provider} fake never saw the real key`);
      assert.deepEqual(await whereInContainer(key), [], `${provider} key in the container`);
    }
    assert.deepEqual(await whereInContainer(keys.custom), []);
    // what the tools get from the helper is the gateway token, which the fakes never see
    const helper = await execIn(container, ['bash', '-lc', 'xares-ai-key anthropic']);
    const gatewayToken = helper.stdout.trim();
    assert.match(gatewayToken, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(fake.whereSeen(gatewayToken), []);
    // the custom key by its own base URL variable
    const custom = await execIn(container, [
      'bash',
      '-lc',
      'curl -s -H "Authorization: Bearer $MINE_API_KEY" -H "Content-Type: application/json" -d \'{"model":"m","messages":[]}\' "$MINE_BASE_URL/chat/completions"',
    ]);
    assert.match(custom.stdout, /Hello from the fake provider/);
    assert.ok(fake.whereSeen(keys.custom).length > 0);
    // the gateway token is no session for procedures
    await assert.rejects(svc.trpc(gatewayToken).auth.me.query());

    // usage is recorded per provider and model
    const usage = await trpc.ai.usage.query();
    assert.ok(usage.today.some((u) => u.provider === 'google' && u.requests >= 2));

    // clear: the gateway token stops working at once
    const status = () =>
      execIn(container, [
        'bash',
        '-c',
        `curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer ${gatewayToken}' '${svc.url}/ai/openai/models'`,
      ]);
    assert.equal((await status()).stdout, '200');
    await trpc.workspaces.clear.mutate({ workspaceId: container.id });
    assert.equal((await status()).stdout, '401');
  });

  it('environment mode: the keys are in ~/.env (0600) and in no other file', async () => {
    const trpc = svc.trpc(userToken);
    await trpc.workspaces.inject.mutate({ workspaceId: container.id });
    const oldToken = (
      await execIn(container, ['bash', '-lc', 'xares-ai-key openai'])
    ).stdout.trim();
    await trpc.settings.update.mutate({ aiKeyDelivery: 'environment' });
    await trpc.workspaces.inject.mutate({ workspaceId: container.id });

    // switching modes revoked the previous gateway token
    const db = svc.service.store.db;
    const live = await db
      .selectFrom('sessions')
      .select('id')
      .where('kind', '=', 'gateway')
      .where('workspace_id', '=', container.id)
      .where('revoked_at', 'is', null)
      .execute();
    assert.equal(live.length, 0);
    const refused = await svc.request('GET', '/ai/openai/models', { token: oldToken });
    assert.equal(refused.status, 401);

    for (const [provider, key] of Object.entries(keys)) {
      const files = await whereInContainer(key);
      assert.deepEqual(files, [`${HOME}/.env`], `${provider}: ${files.join(', ')}`);
    }
    assert.equal((await sh(`stat -c %a ${HOME}/.env`)).stdout.trim(), '600');
    assert.equal(
      (await execIn(container, ['bash', '-lc', 'xares-ai-key anthropic'])).stdout.trim(),
      keys.anthropic,
    );

    // the same SDK clients, keys from ~/.env, base URLs the user's own (here: the fakes)
    fake.clearRequests();
    const results = await runSdks([
      `OPENAI_BASE_URL=${fake.urls.openaiBaseUrl}`,
      `ANTHROPIC_BASE_URL=${fake.urls.anthropicBaseUrl}`,
      `GOOGLE_GEMINI_BASE_URL=${fake.urls.googleAiBaseUrl}`,
    ]);
    for (const call of CALLS)
      assert.equal(results[call]?.ok, TEXT, `${call}: ${JSON.stringify(results[call])}`);
    assert.ok(fake.whereSeen(keys.openai).length >= 2);
    await trpc.settings.update.mutate({ aiKeyDelivery: 'gateway' });
  });

  it('a gateway token of one container cannot be minted into use by another user', async () => {
    const other = await svc.createUser('delivery-other', 'delivery-other-pw');
    const { token } = await createSession(svc.service.store.db, {
      userId: other.id,
      kind: 'gateway',
      workspaceId: container.id,
      timeoutSeconds: 60,
    });
    const res = await svc.request('POST', '/ai/openai/chat/completions', {
      token,
      body: { model: 'm', messages: [] },
    });
    assert.equal(res.status, 404, 'another user reached the owner’s OpenAI key');
  });
});
