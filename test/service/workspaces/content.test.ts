// What an injection writes, checked byte by byte without Docker: quoting for sh, git config,
// YAML and JSON (with real sh, git and the yaml parser), the dotfile blocks, the plan's modes,
// and the shell scripts (syntax, JSON handling).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { aiToolFiles, envFile, type AiKeys } from '../../../service/workspaces/aiConfig';
import { aiKeyScript } from '../../../service/workspaces/aiKeyScript';
import { buildPlan, pickLoginFile, type InjectionInput } from '../../../service/workspaces/content';
import {
  ensureBlock,
  gitIncludeBody,
  shellBlockBody,
  stripBlock,
} from '../../../service/workspaces/dotfiles';
import { gitConfigQuote, isSafeEnvName, shQuote } from '../../../service/workspaces/quote';
import { helperScripts } from '../../../service/workspaces/scripts';
import { tierSuite } from '../../support/tiers';

const user = { name: 'coder', uid: 1000, gid: 1000, home: '/home/coder' };

/** AI keys in environment mode (the keys in ~/.env), with the service's default URLs. */
function aiKeys(over: Partial<AiKeys> = {}): AiKeys {
  return {
    delivery: 'environment',
    gatewayUrl: null,
    custom: [],
    providerUrls: {
      openai: 'https://api.openai.com/v1',
      anthropic: 'https://api.anthropic.com',
      google: 'https://generativelanguage.googleapis.com',
    },
    models: { openai: 'gpt-5', anthropic: 'claude-sonnet-4-5', google: 'gemini-2.5-pro' },
    ...over,
  };
}

function input(over: Partial<InjectionInput> = {}): InjectionInput {
  return {
    username: 'alice',
    sshKey: {
      privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----',
      publicKey: 'ssh-ed25519 AAAAC3 alice',
    },
    git: {
      configured: ['github'],
      githubApiUrl: 'https://api.github.com',
      gitlabUrl: 'https://gitlab.com',
      forgejoUrl: null,
    },
    ai: aiKeys(),
    serviceUrl: 'http://127.0.0.1:7300',
    workspaceToken: 'tok_abc',
    ...over,
  };
}

tierSuite('unit', 'workspace content', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xares-content-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const canaries = (marker: string) => [
    `it's "quoted" $(touch ${marker}) \`touch ${marker}\` $HOME \\n \\' end`,
    "'; touch " + marker + "; echo '",
    `ünïcödé\ttab`,
  ];

  it('.env exports canary values exactly through sh, executing nothing', () => {
    const marker = path.join(dir, 'pwned');
    for (const value of canaries(marker)) {
      const file = path.join(dir, '.env');
      writeFileSync(
        file,
        envFile(aiKeys({ openai: value, custom: [{ envVar: 'MY_KEY', value }] })),
      );
      for (const shell of ['sh', 'bash']) {
        const out = execFileSync(
          shell,
          ['-c', '. "$1"; printf %s "$OPENAI_API_KEY"; printf "|%s" "$MY_KEY"', 'x', file],
          {
            encoding: 'utf8',
            env: { PATH: process.env.PATH },
          },
        );
        assert.equal(out, `${value}|${value}`);
      }
      assert.equal(existsSync(marker), false, 'a canary ran as code');
    }
  });

  it('.env carries Google keys under both names and refuses dangerous custom names', () => {
    const text = envFile(
      aiKeys({
        google: 'g',
        custom: [
          { envVar: 'LD_PRELOAD', value: 'x' },
          { envVar: 'PATH', value: 'y' },
          { envVar: 'bad-name', value: 'z' },
          { envVar: 'OK_API_KEY', value: 'ok' },
        ],
      }),
    );
    assert.match(text, /^export GEMINI_API_KEY='g'$/m);
    assert.match(text, /^export GOOGLE_API_KEY='g'$/m);
    assert.match(text, /^export OK_API_KEY='ok'$/m);
    assert.doesNotMatch(text, /LD_PRELOAD|PATH=|bad-name/);
    assert.equal(isSafeEnvName('GIT_SSH_COMMAND'), false);
    assert.equal(isSafeEnvName('DEEPSEEK_API_KEY'), true);
  });

  it('git config values survive git itself, quotes and backslashes included', () => {
    const file = path.join(dir, 'cfg');
    for (const value of [
      'plain',
      'with "quotes" and \\ backslash',
      "!'/home/o'\\''x/bin/helper'",
      '# not a comment ; nor this',
    ]) {
      writeFileSync(file, `[user]\n\tname = ${gitConfigQuote(value)}\n`);
      const out = execFileSync('git', ['config', '-f', file, '--get', 'user.name'], {
        encoding: 'utf8',
      });
      assert.equal(out, `${value}\n`);
    }
    assert.throws(() => gitConfigQuote('a\nb'));
  });

  it('shQuote survives sh for every byte but NUL', () => {
    const all = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');
    const out = execFileSync('sh', ['-c', `printf %s ${shQuote(all)}`], { encoding: 'latin1' });
    assert.equal(out, Buffer.from(all, 'utf8').toString('latin1'));
  });

  it('AI tool files hold no key in either mode, and exist only for providers with keys', () => {
    assert.deepEqual(aiToolFiles(aiKeys({ custom: [{ envVar: 'X_KEY', value: 'y' }] }), '/h'), []);
    const tricky = 'sk-"quote" \\ back: #hash\n- dash';
    for (const mode of ['environment', 'gateway'] as const) {
      const keys = aiKeys({
        delivery: mode,
        gatewayUrl: mode === 'gateway' ? 'http://svc:7300/ai' : null,
        openai: tricky,
        anthropic: 'ant-secret-value',
      });
      const files = new Map(aiToolFiles(keys, '/home/coder').map((f) => [f.path, f.content]));
      assert.deepEqual(
        [...files.keys()].sort(),
        [
          '.aider.conf.yml',
          '.claude/settings.json',
          '.codex/config.toml',
          '.config/opencode/opencode.json',
          '.continue/config.yaml',
        ],
        mode,
      );
      for (const [file, content] of files) {
        assert.ok(!content.includes('ant-secret-value'), `${mode}: ${file} holds a key`);
        assert.ok(!content.includes('sk-"quote"'), `${mode}: ${file} holds a key`);
      }
      const cont = parseYaml(files.get('.continue/config.yaml')!) as {
        models: Array<{ provider: string; apiKey: string; apiBase?: string }>;
      };
      assert.deepEqual(
        cont.models.map((m) => [m.provider, m.apiKey]),
        [
          ['anthropic', '${{ secrets.ANTHROPIC_API_KEY }}'],
          ['openai', '${{ secrets.OPENAI_API_KEY }}'],
        ],
      );
      const oc = JSON.parse(files.get('.config/opencode/opencode.json')!) as {
        provider: Record<string, { options: { apiKey: string; baseURL?: string } }>;
      };
      assert.equal(oc.provider.openai!.options.apiKey, '{env:OPENAI_API_KEY}');
      const claude = JSON.parse(files.get('.claude/settings.json')!) as {
        apiKeyHelper: string;
        env: Record<string, string>;
      };
      assert.equal(claude.apiKeyHelper, "'/home/coder/bin/xares-ai-key' anthropic");
      if (mode === 'gateway') {
        assert.equal(oc.provider.anthropic!.options.baseURL, 'http://svc:7300/ai/anthropic/v1');
        assert.equal(claude.env.ANTHROPIC_BASE_URL, 'http://svc:7300/ai/anthropic');
        assert.match(
          files.get('.codex/config.toml')!,
          /base_url = "http:\/\/svc:7300\/ai\/openai"/,
        );
      } else {
        assert.equal(oc.provider.anthropic!.options.baseURL, undefined);
        assert.deepEqual(claude.env, {});
      }
    }
  });

  it('xares-ai-key prints the variable from the environment or ~/.env, and runs nothing else', () => {
    const home = path.join(dir, 'home');
    execFileSync('mkdir', ['-p', home]);
    const script = path.join(dir, 'xares-ai-key');
    writeFileSync(script, aiKeyScript(), { mode: 0o755 });
    writeFileSync(
      path.join(home, '.env'),
      envFile(
        aiKeys({ anthropic: "ant-'x' $(y)", custom: [{ envVar: 'MINE_API_KEY', value: 'm' }] }),
      ),
    );
    const run = (arg: string, env: Record<string, string> = {}) =>
      spawnSync('sh', [script, arg], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: home, ...env },
      });
    assert.equal(run('anthropic').stdout, "ant-'x' $(y)\n");
    assert.equal(run('MINE_API_KEY').stdout, 'm\n');
    assert.equal(run('openai', { OPENAI_API_KEY: 'from-env' }).stdout, 'from-env\n');
    const missing = run('google');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no GEMINI_API_KEY/);
    const marker = path.join(dir, 'pwned');
    for (const bad of ['X;touch ' + marker + ';_KEY', '$(touch ' + marker + ')_KEY', 'PATH', '']) {
      assert.equal(run(bad).status, 2, bad);
    }
    assert.equal(existsSync(marker), false);
  });

  it('.env in gateway mode: the token as each key, base URLs at the gateway', () => {
    const text = envFile(
      aiKeys({
        delivery: 'gateway',
        gatewayUrl: 'http://svc:7300/ai',
        openai: 'gw-token',
        google: 'gw-token',
        custom: [{ envVar: 'MINE_API_KEY', value: 'gw-token', name: 'mine' }],
      }),
    );
    assert.match(text, /^export OPENAI_API_KEY='gw-token'$/m);
    assert.match(text, /^export OPENAI_BASE_URL='http:\/\/svc:7300\/ai\/openai'$/m);
    assert.match(text, /^export GEMINI_API_KEY='gw-token'$/m);
    assert.match(text, /^export GOOGLE_GEMINI_BASE_URL='http:\/\/svc:7300\/ai\/google'$/m);
    assert.match(text, /^export MINE_BASE_URL='http:\/\/svc:7300\/ai\/custom\/mine'$/m);
    assert.doesNotMatch(text, /ANTHROPIC/);
  });

  it('dotfile blocks are added once and removed exactly', () => {
    const original = '[user]\n\tname = Mine\n[alias]\n\tco = checkout\n';
    const once = ensureBlock(original, gitIncludeBody(), 'top');
    assert.equal(ensureBlock(once, gitIncludeBody(), 'top'), once);
    assert.ok(once.endsWith(original), 'user lines kept after the include');
    assert.equal(once.split('[include]').length, 2);
    assert.equal(stripBlock(once), original);
    const rc = 'alias ll="ls -l"\nexport X=1'; // no final newline
    const withBlock = ensureBlock(rc, shellBlockBody(), 'end');
    assert.equal(ensureBlock(withBlock, shellBlockBody(), 'end'), withBlock);
    assert.ok(withBlock.startsWith(rc));
    assert.equal(stripBlock(withBlock), `${rc}\n`);
    assert.equal(
      ensureBlock(null, gitIncludeBody(), 'top'),
      stripBlock('') + ensureBlock('', gitIncludeBody(), 'top'),
    );
    // git reads the include from the produced file
    const home = path.join(dir, 'home');
    execFileSync('mkdir', ['-p', path.join(home, '.config/xares')]);
    writeFileSync(path.join(home, '.gitconfig'), once);
    writeFileSync(path.join(home, '.config/xares/gitconfig'), '[user]\n\temail = x@y\n');
    const out = execFileSync('git', ['config', '--get', 'user.email'], {
      encoding: 'utf8',
      cwd: home,
      env: { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' },
    });
    assert.equal(out, 'x@y\n');
  });

  it('the plan has the contract paths and modes, keys only when present', () => {
    const plan = buildPlan(input({ ai: aiKeys({ openai: 'o' }) }), user, '.profile');
    const modes = new Map(plan.files.map((f) => [f.path, f.mode]));
    assert.equal(modes.get('.ssh/id_ed25519'), 0o600);
    assert.equal(modes.get('.ssh/id_ed25519.pub'), 0o644);
    assert.equal(modes.get('.config/xares/gitconfig'), 0o644);
    assert.equal(modes.get('.config/xares/workspace-token'), 0o600);
    assert.equal(modes.get('.config/xares/service-url'), 0o644);
    assert.equal(modes.get('.env'), 0o600);
    for (const b of [
      'git-credential-xares',
      'create-repo',
      'create-github-repo',
      'create-forgejo-repo',
      'create-gitlab-repo',
      'git-helper',
    ]) {
      assert.equal(modes.get(`bin/${b}`), 0o755, b);
    }
    assert.equal(modes.get('bin/xares-ai-key'), 0o755);
    for (const ai of [
      '.aider.conf.yml',
      '.continue/config.yaml',
      '.config/opencode/opencode.json',
      '.codex/config.toml',
    ]) {
      assert.equal(modes.get(ai), 0o600, ai);
    }
    assert.deepEqual(
      plan.dirs.find((d) => d.path === '.ssh'),
      { path: '.ssh', mode: 0o700 },
    );
    assert.deepEqual(
      plan.edits.map((e) => e.path),
      ['.gitconfig', '.bashrc', '.profile'],
    );
    const noKeys = buildPlan(input({ sshKey: null }), user, '.bash_profile');
    assert.equal(
      noKeys.files.some((f) => f.path.startsWith('.ssh/') || f.path.includes('aider')),
      false,
    );
    assert.equal(
      noKeys.dirs.some((d) => d.path === '.ssh'),
      false,
    );
    assert.deepEqual(
      noKeys.edits.map((e) => e.path),
      ['.gitconfig', '.bashrc', '.bash_profile'],
    );
    assert.equal(pickLoginFile(new Set(['.profile', '.bash_login'])), '.bash_login');
    assert.equal(pickLoginFile(new Set()), '.profile');
    // The workspace token is in its own 0600 file only.
    const withToken = plan.files.filter((f) => f.content.includes('tok_abc')).map((f) => f.path);
    assert.deepEqual(withToken, ['.config/xares/workspace-token']);
    const gitconfig = plan.files.find((f) => f.path === '.config/xares/gitconfig')!.content;
    const file = path.join(dir, 'g');
    writeFileSync(file, gitconfig);
    const helper = execFileSync('git', ['config', '-f', file, '--get', 'credential.helper'], {
      encoding: 'utf8',
    });
    assert.equal(helper, "!'/home/coder/bin/git-credential-xares'\n");
  });

  it('every script is valid POSIX sh', () => {
    for (const s of helperScripts("/home/o'dd")) {
      const file = path.join(dir, path.basename(s.path));
      writeFileSync(file, s.content);
      const r = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${s.path}: ${r.stderr}`);
      assert.doesNotMatch(s.content, /\$\\\{/, 'placeholder left in script');
    }
  });

  it('the helpers read JSON fields exactly, first occurrence, escapes undone', () => {
    const lib = helperScripts('/h').find((s) => s.path === '.config/xares/lib.sh')!.content;
    const libFile = path.join(dir, 'lib.sh');
    writeFileSync(libFile, lib);
    const field = (json: string, name: string) =>
      execFileSync(
        'sh',
        [
          '-c',
          `XARES_DIR=/nonexistent; . "$1"; printf '%s' "$2" | xares_json_field "$3"`,
          'x',
          libFile,
          json,
          name,
        ],
        { encoding: 'utf8' },
      ).replace(/\n$/, '');
    const body = JSON.stringify(
      {
        clone_url: 'http://h/a "b" \\c/d.git',
        owner: { clone_url: 'wrong' },
        message: 'Bad credentials',
      },
      null,
      2,
    );
    assert.equal(field(body, 'clone_url'), 'http://h/a "b" \\c/d.git');
    assert.equal(field(body, 'message'), 'Bad credentials');
    assert.equal(field('{"a":"x","password":"p\\\\\\"q"}', 'password'), 'p\\"q');
    assert.equal(field('{"a":1}', 'missing'), '');
    const json = (v: string) =>
      execFileSync(
        'sh',
        ['-c', `XARES_DIR=/nonexistent; . "$1"; xares_json_string "$2"`, 'x', libFile, v],
        { encoding: 'utf8' },
      );
    for (const v of ['plain', 'a "quoted" \\ value', "it's $(x) `y`"])
      assert.equal(JSON.parse(json(v)), v);
  });
});
