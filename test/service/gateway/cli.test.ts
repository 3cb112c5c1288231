// The real AI coding CLIs in a real workspace container (docker tier): Claude Code, Codex CLI,
// Gemini CLI and OpenCode, installed by .ci/ai-tools into a cache outside the project and
// bind-mounted read-only with the host's node, each configured from nothing but what the
// injection wrote (~/.env with base URLs and the gateway token, the tool's own config file), make
// one headless call in a login shell and one in an interactive shell. Every call goes through the
// gateway to the loopback provider fakes, which see the user's real keys; the container holds
// none. One container for all four keeps the tier's added time small.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { revokeWorkspaceSessions } from '../../../service/accounts/sessions';
import type { AiModels } from '../../../service/config';
import { execIn, TEST_IMAGE, TEST_LABEL, testDocker } from '../../support/docker';
import { type FakeProviders, startFakeProviders } from '../../support/fakeProviders';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

/** Where .ci/ai-tools installs the CLIs; the versions it pins (keep the two in step). */
const AI_TOOLS = process.env.XARES_AI_TOOLS || '/var/cache/xares-ci/ai-tools';
const VERSIONS: Record<string, string> = {
  '@anthropic-ai/claude-code': '2.1.332',
  '@openai/codex': '0.171.0',
  '@google/gemini-cli': '0.61.0',
  'opencode-ai': '1.18.33',
};
const HOME = '/home/coder';
const TEXT = 'Hello from the fake provider.';

/**
 * What keeps each CLI from calling home (update checks, telemetry, model catalogues): the
 * environment of the terminal, not anything the injection writes.
 */
const OFFLINE_ENV = [
  'DISABLE_AUTOUPDATER=1',
  'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
  'DISABLE_TELEMETRY=1',
  'DISABLE_ERROR_REPORTING=1',
  'OPENCODE_DISABLE_AUTOUPDATE=1',
  'OPENCODE_DISABLE_MODELS_FETCH=1',
  'GEMINI_CLI_SYSTEM_SETTINGS_PATH=/etc/gemini-cli/settings.json',
  'NO_COLOR=1',
];
/** Gemini CLI's offline switches, as an administrator's system settings file. */
const GEMINI_SYSTEM_SETTINGS = {
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
};

/**
 * Each CLI's headless call, the provider whose fake must answer it, the API path the CLI's own
 * request shape uses there, and the shells it runs in (OpenCode's other providers: login only).
 */
interface CliCall {
  name: string;
  provider: 'openai' | 'anthropic' | 'google';
  cmd: string | ((models: AiModels) => string);
  path: RegExp;
  shells: Shell[];
}
/** Login, interactive, or neither (no startup file sourced ~/.env: what an editor extension gets). */
type Shell = '-lc' | '-ic' | '-c';
const SHELL_NAMES: Record<Shell, string> = {
  '-lc': 'login shell',
  '-ic': 'interactive shell',
  '-c': 'plain bash -c, no ~/.env',
};
const BOTH: Shell[] = ['-lc', '-ic'];
const CLIS: CliCall[] = [
  {
    name: 'Claude Code',
    provider: 'anthropic',
    cmd: 'claude -p "Say hello"',
    path: /^\/v1\/messages$/,
    shells: BOTH,
  },
  {
    name: 'Codex CLI',
    provider: 'openai',
    cmd: 'codex exec -c check_for_update_on_startup=false --skip-git-repo-check "Say hello"',
    path: /^\/v1\/responses$/,
    shells: [...BOTH, '-c'],
  },
  {
    name: 'Gemini CLI',
    provider: 'google',
    cmd: 'gemini --skip-trust -p "Say hello"',
    path: /^\/v1beta\/models\/[^/]+:streamGenerateContent$/,
    shells: BOTH,
  },
  {
    name: 'OpenCode',
    provider: 'anthropic',
    cmd: 'opencode run "Say hello"',
    path: /^\/v1\/messages$/,
    shells: BOTH,
  },
  {
    name: 'OpenCode (OpenAI model)',
    provider: 'openai',
    cmd: (m) => `opencode run -m "openai/${m.openai}" "Say hello"`,
    path: /^\/v1\/responses$/,
    shells: ['-lc'],
  },
  {
    name: 'OpenCode (Gemini model)',
    provider: 'google',
    cmd: (m) => `opencode run -m "google/${m.google}" "Say hello"`,
    path: /^\/v1beta\/models\/[^/]+:streamGenerateContent$/,
    shells: ['-lc'],
  },
];

function missingTools(): string[] {
  return Object.entries(VERSIONS).flatMap(([name, version]) => {
    const file = path.join(AI_TOOLS, 'node_modules', name, 'package.json');
    if (!existsSync(file)) return [`${name} (not installed)`];
    const have = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    return have === version ? [] : [`${name} ${have}, not ${version}`];
  });
}

tierSuite('docker', 'The real AI CLIs in a workspace container, through the gateway', function () {
  this.timeout(300_000);
  let fake: FakeProviders;
  let svc: TestService;
  let container: Docker.Container;
  const suffix = randomBytes(8).toString('hex');
  const keys = {
    openai: `sk-cli-openai-${suffix}`,
    anthropic: `sk-ant-cli-${suffix}`,
    google: `AIza-cli-google-${suffix}`,
  };

  const root = (script: string) =>
    execIn(container, ['bash', '-c', script], { user: 'root', timeoutMs: 60_000 });
  // In a plain `bash -c` no key variable may be set (exit 97 says one was).
  const run = (shell: Shell, cmd: string) =>
    execIn(
      container,
      [
        'bash',
        shell,
        `${shell === '-c' ? 'env | grep -q _API_KEY= && exit 97; ' : ''}cd ~/project && ${cmd} </dev/null`,
      ],
      {
        env: OFFLINE_ENV,
        timeoutMs: 240_000,
      },
    );
  /** Files under the home (and every process environment) that hold `secret`. */
  const whereInContainer = async (secret: string) => {
    const files = await root(`grep -rlF -- '${secret}' ${HOME} || true`);
    const envs = await root(`grep -alF -- '${secret}' /proc/[0-9]*/environ || true`);
    return [...files.stdout.split('\n'), ...envs.stdout.split('\n')].filter(Boolean);
  };

  before(async function () {
    // A missing cache is a failure, never a skip: CI provisions it (.ci/provision -> .ci/ai-tools).
    const missing = missingTools();
    assert.deepEqual(missing, [], `run .ci/ai-tools first; in ${AI_TOOLS}: ${missing.join(', ')}`);
    fake = await startFakeProviders();
    fake.openai.addToken(keys.openai);
    fake.anthropic.addToken(keys.anthropic);
    fake.google.addToken(keys.google);
    svc = await startTestService({ dialect: 'sqlite', env: fake.env });
    await svc.createUser('clis', 'clis-password-1');
    const token = await svc.login('clis', 'clis-password-1');
    const trpc = svc.trpc(token);
    for (const provider of ['openai', 'anthropic', 'google'] as const)
      await trpc.tokens.create.mutate({ type: 'ai_token', provider, token: keys[provider] });
    container = await testDocker().createContainer({
      Image: TEST_IMAGE,
      name: `xares-test-clis-${suffix}`,
      Labels: { [TEST_LABEL]: '1', 'xaresaicoder.owner': 'clis' },
      Cmd: ['sleep', 'infinity'],
      HostConfig: {
        NetworkMode: 'host',
        Init: true,
        Binds: [`${process.execPath}:/usr/local/bin/node:ro`, `${AI_TOOLS}:/opt/ai-tools:ro`],
      },
    });
    await container.start();
    // The image's tools, as a workspace image would have them on PATH; Gemini's offline policy.
    const setup = await root(
      [
        'for t in claude codex gemini opencode; do ln -s /opt/ai-tools/node_modules/.bin/$t /usr/local/bin/$t; done',
        'mkdir -p /etc/gemini-cli',
        `printf '%s' '${JSON.stringify(GEMINI_SYSTEM_SETTINGS)}' > /etc/gemini-cli/settings.json`,
        `mkdir -p ${HOME}/project && chown coder:coder ${HOME}/project`,
      ].join(' && '),
    );
    assert.equal(setup.code, 0, setup.stderr);
    const injected = await trpc.workspaces.inject.mutate({ workspaceId: container.id });
    for (const file of [
      '.env',
      '.claude/settings.json',
      '.codex/config.toml',
      '.gemini/settings.json',
      '.config/opencode/opencode.json',
    ])
      assert.ok(injected.files.includes(file), `the injection wrote no ${file}`);
  });

  after(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
    await svc?.close();
    await fake?.close();
  });

  for (const cli of CLIS) {
    for (const shell of cli.shells) {
      it(`${cli.name} (${SHELL_NAMES[shell]}) answers through the gateway`, async () => {
        const fakeApi = fake[cli.provider];
        const before = fakeApi.requests.length;
        const cmd =
          typeof cli.cmd === 'string' ? cli.cmd : cli.cmd(svc.service.deps.config.aiModels);
        const r = await run(shell, cmd);
        const mine = fakeApi.requests.slice(before);
        const seen = mine.map((q) => `${q.method} ${q.path}`).join(', ');
        assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}\nfake saw: ${seen}`);
        assert.ok(r.stdout.includes(TEXT), `${r.stdout}\n${r.stderr}\nfake saw: ${seen}`);
        assert.ok(
          mine.some((q) => Object.values(q.headers).some((v) => v.includes(keys[cli.provider]))),
          `the ${cli.provider} fake never saw the real key: ${seen}`,
        );
        assert.ok(
          mine.some((q) => cli.path.test(q.path)),
          `no request of ${cli.name}'s shape: ${seen}`,
        );
        // The default models are current for the tool's own release: no "retired" or
        // "model metadata not found" warning.
        assert.doesNotMatch(
          r.stdout + r.stderr,
          /retired on|will be retired|metadata for `[^`]*` not found|model[^\n]{0,40}(deprecated|not supported)/i,
        );
      });
    }
  }

  it('no provider key is anywhere in the container, and the fakes never saw the gateway token', async () => {
    for (const [provider, key] of Object.entries(keys))
      assert.deepEqual(await whereInContainer(key), [], `${provider} key in the container`);
    const helper = await execIn(container, ['bash', '-lc', 'xares-ai-key openai']);
    const gatewayToken = helper.stdout.trim();
    assert.match(gatewayToken, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(fake.whereSeen(gatewayToken), []);
  });

  it('once the workspace’s gateway token is revoked, the CLIs get nothing from a provider', async () => {
    await revokeWorkspaceSessions(svc.service.store.db, container.id);
    // Without retries: both would retry a 401 for minutes (Claude Code) or seconds (Codex).
    const calls = [
      { provider: 'anthropic' as const, cmd: `CLAUDE_CODE_MAX_RETRIES=0 ${CLIS[0]!.cmd}` },
      {
        provider: 'openai' as const,
        cmd: `${CLIS[1]!.cmd} -c model_providers.xares.stream_max_retries=0 -c model_providers.xares.request_max_retries=0`,
      },
    ];
    for (const { provider, cmd } of calls) {
      const before = fake[provider].requests.length;
      const r = await run('-lc', cmd);
      const output = r.stdout + r.stderr;
      assert.notEqual(r.code, 0, output);
      assert.ok(!output.includes(TEXT), `it still answered: ${output}`);
      assert.match(output, /401/);
      assert.equal(fake[provider].requests.length, before, `${cmd} reached the provider`);
      for (const key of Object.values(keys)) assert.ok(!output.includes(key));
    }
  });
});
