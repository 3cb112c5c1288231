// Every AI tool file an injection writes, in both delivery modes and for every combination of
// providers, is valid for that tool's own published schema (test/fixtures/aiToolSchemas, sources
// in SOURCES.md there) or validator (@continuedev/config-yaml), and holds no key.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configYamlSchema } from '@continuedev/config-yaml';
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../service/config';
import { type AiKeys, aiToolFiles } from '../../../service/workspaces/aiConfig';
import { tierSuite } from '../../support/tiers';

const SCHEMAS = path.join(__dirname, '..', '..', 'fixtures', 'aiToolSchemas');
const schema = (file: string) =>
  JSON.parse(readFileSync(path.join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;

function compile(ajv: Ajv, file: string): ValidateFunction {
  return ajv.compile(schema(file));
}

const KEY = 'sk-never-in-a-tool-file-0123456789';

function keysFor(
  delivery: 'gateway' | 'environment',
  providers: Array<'openai' | 'anthropic' | 'google'>,
): AiKeys {
  const config = loadConfig({});
  const keys: AiKeys = {
    delivery,
    gatewayUrl: delivery === 'gateway' ? 'http://credentials:7300/ai' : null,
    custom: [{ envVar: 'MINE_API_KEY', value: KEY, name: 'mine' }],
    providerUrls: {
      openai: config.providers.openaiBaseUrl,
      anthropic: config.providers.anthropicBaseUrl,
      google: config.providers.googleAiBaseUrl,
    },
    models: config.aiModels,
  };
  for (const p of providers) keys[p] = KEY;
  return keys;
}

tierSuite('unit', 'AI tool files against their published schemas', () => {
  // The schemas use formats and keywords of their own editors; what is checked is structure.
  const draft7 = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const draft2020 = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const claude = compile(draft7, 'claude-code-settings.schema.json');
  const openCode = compile(draft7, 'opencode.config.schema.json');
  const codex = compile(draft7, 'codex-config.schema.json');
  const gemini = draft2020.compile(schema('gemini-cli-settings.schema.json'));

  const combos: Array<Array<'openai' | 'anthropic' | 'google'>> = [
    ['openai'],
    ['anthropic'],
    ['google'],
    ['openai', 'anthropic', 'google'],
  ];

  for (const delivery of ['gateway', 'environment'] as const) {
    for (const providers of combos) {
      it(`${delivery} mode, ${providers.join(' + ')}`, () => {
        const files = aiToolFiles(keysFor(delivery, providers), '/home/coder');
        assert.ok(files.length >= 3);
        for (const f of files) {
          assert.ok(!f.content.includes(KEY), `${f.path} holds a key`);
          const check = (ok: boolean, errors: unknown) =>
            assert.ok(ok, `${f.path}: ${JSON.stringify(errors, null, 1)}\n${f.content}`);
          switch (f.path) {
            case '.claude/settings.json':
              check(claude(JSON.parse(f.content)), claude.errors);
              break;
            case '.gemini/settings.json':
              check(gemini(JSON.parse(f.content)), gemini.errors);
              break;
            case '.config/opencode/opencode.json':
              check(openCode(JSON.parse(f.content)), openCode.errors);
              break;
            case '.continue/config.yaml': {
              const parsed = configYamlSchema.safeParse(parseYaml(f.content));
              check(parsed.success, parsed.error?.issues);
              break;
            }
            case '.codex/config.toml': {
              const toml = parseToml(f.content) as {
                model_provider: string;
                model_providers: Record<string, Record<string, unknown>>;
              };
              check(codex(toml), codex.errors);
              // the schema allows any provider id; the one chosen must be defined here
              assert.ok(toml.model_providers[toml.model_provider], 'model_provider is defined');
              break;
            }
            case '.aider.conf.yml': {
              const aider = parseYaml(f.content) as Record<string, unknown>;
              assert.deepEqual(Object.keys(aider).sort(), ['auto-commits', 'model']);
              break;
            }
            default:
              assert.fail(`no schema check for ${f.path}`);
          }
        }
      });
    }
  }

  it('a schema check can fail: a wrong Claude Code, Codex, Gemini and OpenCode file is refused', () => {
    assert.equal(claude({ apiKeyHelper: 42 }), false);
    const provider = { name: 'x', base_url: 'http://h/v1', env_key: 'OPENAI_API_KEY' };
    assert.equal(codex({ model_providers: { x: provider } }), true);
    assert.equal(codex({ model_providers: { x: { ...provider, wire_api: 'chat' } } }), false);
    assert.equal(codex({ model_providers: { x: { ...provider, api_key: 'sk-x' } } }), false);
    assert.equal(codex({ model_provider: 'x', not_a_setting: true }), false);
    assert.equal(gemini({ security: { auth: { selectedType: 1, apiKey: 'x' } } }), false);
    assert.equal(openCode({ provider: { openai: { options: {} } }, nope: 1 }), false);
    assert.equal(configYamlSchema.safeParse({ name: 'x', models: [] }).success, false);
  });

  it('model names come from CREDENTIAL_AI_MODELS, with current defaults', () => {
    const config = loadConfig({ CREDENTIAL_AI_MODELS: '{"anthropic":"claude-opus-4-5"}' });
    assert.equal(config.aiModels.anthropic, 'claude-opus-4-5');
    assert.equal(config.aiModels.openai, loadConfig({}).aiModels.openai);
    assert.throws(() => loadConfig({ CREDENTIAL_AI_MODELS: 'not json' }), /CREDENTIAL_AI_MODELS/);
    assert.throws(() => loadConfig({ CREDENTIAL_AI_MODELS: '{"x":"y"}' }), /CREDENTIAL_AI_MODELS/);
    const keys = { ...keysFor('gateway', ['anthropic']), models: config.aiModels };
    const claudeFile = aiToolFiles(keys, '/home/coder').find(
      (f) => f.path === '.claude/settings.json',
    );
    assert.equal((JSON.parse(claudeFile!.content) as { model: string }).model, 'claude-opus-4-5');
  });
});
