// The AI side of a workspace: `~/.env` for every tool, and the configuration files of Claude
// Code, Codex, Gemini CLI, Aider, Continue and OpenCode, each only when a provider it can use has
// a key. No tool file ever holds a key: they name an environment variable or ~/bin/xares-ai-key.
// In `gateway` mode the variables hold the workspace's gateway token and the base URLs point at
// the service's /ai gateway, so no provider key is anywhere in the container; in `environment`
// mode `~/.env` (0600) holds the keys and is the only file that does.
import type { AiModels } from '../config';
import { isSafeEnvName, shQuote, yamlQuote } from './quote';

export type AiKeyDelivery = 'gateway' | 'environment';
export type BuiltInAiProvider = 'openai' | 'anthropic' | 'google';

export interface AiKeys {
  delivery: AiKeyDelivery;
  /** `{service}/ai` in gateway mode; null in environment mode. */
  gatewayUrl: string | null;
  /** What each provider's key variable holds: its key, or in gateway mode the gateway token. */
  openai?: string;
  anthropic?: string;
  google?: string;
  /** Custom keys, exported under their own variable name (`name` routes them in the gateway). */
  custom: Array<{ envVar: string; value: string; name?: string }>;
  /** Where each provider's API is, as the tools' base URLs name it (the service's settings). */
  providerUrls: { openai: string; anthropic: string; google: string };
  models: AiModels;
}

export interface AiFile {
  path: string;
  content: string;
}

const KEY_VARS: Record<BuiltInAiProvider, string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  google: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
};

/** The base URL each provider's SDKs and tools read from the environment. */
const BASE_VARS: Record<BuiltInAiProvider, string[]> = {
  openai: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'],
  anthropic: ['ANTHROPIC_BASE_URL'],
  google: ['GOOGLE_GEMINI_BASE_URL', 'GOOGLE_AI_BASE_URL'],
};

const PROVIDERS: BuiltInAiProvider[] = ['anthropic', 'openai', 'google'];

/** The API root a tool should use for a provider: the gateway's, or the provider's own. */
export function aiBaseUrl(keys: AiKeys, provider: BuiltInAiProvider): string {
  return keys.gatewayUrl ? `${keys.gatewayUrl}/${provider}` : keys.providerUrls[provider];
}

/** `MINE_API_KEY` -> `MINE_BASE_URL`: where a custom key's base URL goes in gateway mode. */
export function customBaseVar(envVar: string): string {
  return `${envVar.replace(/_(API_KEY|KEY|TOKEN|SECRET)$/, '')}_BASE_URL`;
}

/** `.env`: POSIX single-quoted exports, safe to source whatever a value holds. */
export function envFile(keys: AiKeys): string {
  const gateway = keys.gatewayUrl !== null;
  const lines = [
    gateway
      ? '# XaresAICoder Credentials: AI access through the credential service gateway. The key'
      : '# XaresAICoder Credentials: AI provider keys, rewritten on every injection; sourced by the',
    gateway
      ? "# variables hold this workspace's gateway token, not a provider key. Rewritten on every"
      : '# block in ~/.bashrc and your login profile. Not for version control.',
  ];
  if (gateway) lines.push('# injection; sourced by ~/.bashrc and your login profile.');
  const taken = new Set<string>();
  const put = (name: string, value: string) => {
    if (taken.has(name)) return;
    taken.add(name);
    lines.push(`export ${name}=${shQuote(value)}`);
  };
  for (const p of ['openai', 'anthropic', 'google'] as const) {
    const value = keys[p];
    if (value === undefined) continue;
    for (const v of KEY_VARS[p]) put(v, value);
    if (gateway) for (const v of BASE_VARS[p]) put(v, aiBaseUrl(keys, p));
  }
  if (gateway && keys.gatewayUrl) put('XARES_AI_GATEWAY', keys.gatewayUrl);
  for (const c of keys.custom) {
    // A name that could change how programs run (PATH, LD_PRELOAD...) is never exported.
    if (!isSafeEnvName(c.envVar) || taken.has(c.envVar)) continue;
    put(c.envVar, c.value);
    // The base-URL variable keeps the allowed key name's prefix (MINE_API_KEY -> MINE_BASE_URL),
    // so it passes the same namespace rule; only the suffix differs from a secret's.
    const baseVar = customBaseVar(c.envVar);
    if (gateway && c.name && isSafeEnvName(`${baseVar}_KEY`)) {
      put(baseVar, `${keys.gatewayUrl}/custom/${c.name}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const HEADER =
  'XaresAICoder Credentials: written at injection; your own changes to this file are kept';

function has(keys: AiKeys, p: BuiltInAiProvider): boolean {
  return keys[p] !== undefined;
}

/** Claude Code: the key from the helper, the gateway as base URL (settings `env`). */
function claudeCode(keys: AiKeys, home: string): string {
  const settings = {
    $schema: 'https://json.schemastore.org/claude-code-settings.json',
    apiKeyHelper: `${shQuote(`${home}/bin/xares-ai-key`)} anthropic`,
    model: keys.models.anthropic,
    env: keys.gatewayUrl ? { ANTHROPIC_BASE_URL: aiBaseUrl(keys, 'anthropic') } : {},
  };
  return `${JSON.stringify(settings, null, 2)}\n`;
}

const toml = (value: string) => JSON.stringify(value);

/**
 * Codex CLI: a model provider with the base URL whose key comes from ~/bin/xares-ai-key
 * (`auth.command`), so Codex works even where no shell sourced ~/.env (an editor extension, a
 * plain `bash -c`); Codex refuses `env_key` next to `auth`, and ignores OPENAI_API_KEY anyway.
 */
function codex(keys: AiKeys, home: string): string {
  return [
    `# ${HEADER}.`,
    `model = ${toml(keys.models.openai)}`,
    'model_provider = "xares"',
    '',
    '[model_providers.xares]',
    `name = ${toml(keys.gatewayUrl ? 'OpenAI through XaresAICoder' : 'OpenAI')}`,
    `base_url = ${toml(aiBaseUrl(keys, 'openai'))}`,
    'wire_api = "responses"',
    '',
    '[model_providers.xares.auth]',
    `command = ${toml(`${home}/bin/xares-ai-key`)}`,
    'args = ["openai"]',
    '',
  ].join('\n');
}

/** Gemini CLI: API-key sign-in (GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL from the environment). */
function geminiCli(keys: AiKeys): string {
  const settings = {
    security: { auth: { selectedType: 'gemini-api-key' } },
    model: { name: keys.models.google },
  };
  return `${JSON.stringify(settings, null, 2)}\n`;
}

/** Aider reads the keys and base URLs from the environment; only the model is chosen here. */
function aider(keys: AiKeys): string {
  const preferred = PROVIDERS.find((p) => has(keys, p)) ?? 'openai';
  const model =
    preferred === 'anthropic'
      ? `anthropic/${keys.models.anthropic}`
      : preferred === 'google'
        ? `gemini/${keys.models.google}`
        : `openai/${keys.models.openai}`;
  return [`# ${HEADER}.`, `model: ${yamlQuote(model)}`, 'auto-commits: false', ''].join('\n');
}

/** Continue: one model per provider, the key as a secret Continue reads from the environment. */
function continueConfig(keys: AiKeys): string {
  const lines = [`# ${HEADER}.`, 'name: XaresAICoder', 'version: 1.0.0', 'schema: v1', 'models:'];
  const model = (
    title: string,
    provider: string,
    name: string,
    keyVar: string,
    apiBase: string | null,
  ) => {
    lines.push(
      `  - name: ${yamlQuote(title)}`,
      `    provider: ${provider}`,
      `    model: ${yamlQuote(name)}`,
      `    apiKey: ${yamlQuote(`\${{ secrets.${keyVar} }}`)}`,
    );
    if (apiBase) lines.push(`    apiBase: ${yamlQuote(apiBase)}`);
    lines.push('    roles:', '      - chat', '      - edit', '      - apply');
  };
  const gw = keys.gatewayUrl !== null;
  if (has(keys, 'anthropic')) {
    const base = gw ? `${aiBaseUrl(keys, 'anthropic')}/v1/` : null;
    model('Claude', 'anthropic', keys.models.anthropic, 'ANTHROPIC_API_KEY', base);
  }
  if (has(keys, 'openai')) {
    const base = gw ? `${aiBaseUrl(keys, 'openai')}/` : null;
    model('OpenAI', 'openai', keys.models.openai, 'OPENAI_API_KEY', base);
  }
  if (has(keys, 'google')) {
    const base = gw ? `${aiBaseUrl(keys, 'google')}/v1beta/` : null;
    model('Gemini', 'gemini', keys.models.google, 'GEMINI_API_KEY', base);
  }
  return `${lines.join('\n')}\n`;
}

/** OpenCode: `{env:VAR}` for each key; in gateway mode the AI SDK base URLs point at it. */
function openCode(keys: AiKeys): string {
  const gw = keys.gatewayUrl !== null;
  const provider: Record<string, { models: object; options: Record<string, string> }> = {};
  // `models` is required by OpenCode's published schema. It names the configured model, so a
  // model newer than OpenCode's bundled model list (which it cannot refresh offline) is still one
  // it knows; the provider's own list stays available besides.
  const add = (id: BuiltInAiProvider, keyVar: string, baseURL: string) => {
    provider[id] = {
      models: { [keys.models[id]]: {} },
      options: { apiKey: `{env:${keyVar}}`, ...(gw ? { baseURL } : {}) },
    };
  };
  if (has(keys, 'anthropic'))
    add('anthropic', 'ANTHROPIC_API_KEY', `${aiBaseUrl(keys, 'anthropic')}/v1`);
  if (has(keys, 'openai')) add('openai', 'OPENAI_API_KEY', aiBaseUrl(keys, 'openai'));
  if (has(keys, 'google')) add('google', 'GEMINI_API_KEY', `${aiBaseUrl(keys, 'google')}/v1beta`);
  const preferred = PROVIDERS.find((p) => has(keys, p)) ?? 'openai';
  const config = {
    $schema: 'https://opencode.ai/config.json',
    model: `${preferred}/${keys.models[preferred]}`,
    provider,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Where the tool configuration files go (relative to home). */
export const AI_TOOL_FILES = {
  claudeCode: '.claude/settings.json',
  codex: '.codex/config.toml',
  gemini: '.gemini/settings.json',
  aider: '.aider.conf.yml',
  continue: '.continue/config.yaml',
  openCode: '.config/opencode/opencode.json',
} as const;

/** Every path aiToolFiles may write (the injector looks at them before it writes). */
export const AI_TOOL_PATHS: readonly string[] = Object.values(AI_TOOL_FILES);

/** The tool configuration files (paths relative to home), each only for a provider it can use. */
export function aiToolFiles(keys: AiKeys, home: string): AiFile[] {
  const any = PROVIDERS.some((p) => has(keys, p));
  if (!any) return [];
  const files: AiFile[] = [];
  if (has(keys, 'anthropic'))
    files.push({ path: AI_TOOL_FILES.claudeCode, content: claudeCode(keys, home) });
  if (has(keys, 'openai')) files.push({ path: AI_TOOL_FILES.codex, content: codex(keys, home) });
  if (has(keys, 'google')) files.push({ path: AI_TOOL_FILES.gemini, content: geminiCli(keys) });
  files.push(
    { path: AI_TOOL_FILES.aider, content: aider(keys) },
    { path: AI_TOOL_FILES.continue, content: continueConfig(keys) },
    { path: AI_TOOL_FILES.openCode, content: openCode(keys) },
  );
  return files;
}
