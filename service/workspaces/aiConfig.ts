// The AI keys as a workspace sees them: ~/.env for every tool and the configuration files of
// Aider, Continue and OpenCode, each only when a provider it can use has a key.
import { isSafeEnvName, shQuote, yamlQuote } from './quote';

export interface AiKeys {
  openai?: string;
  anthropic?: string;
  google?: string;
  /** Custom keys, exported under their own variable name. */
  custom: Array<{ envVar: string; value: string }>;
}

export interface AiFile {
  path: string;
  content: string;
}

/** `.env`: POSIX single-quoted exports, safe to source whatever a key holds. */
export function envFile(keys: AiKeys): string {
  const lines = [
    '# XaresAICoder Credentials: AI provider keys, rewritten on every injection; sourced by the',
    '# block in ~/.bashrc and your login profile. Not for version control.',
  ];
  const put = (name: string, value: string | undefined) => {
    if (value !== undefined) lines.push(`export ${name}=${shQuote(value)}`);
  };
  put('OPENAI_API_KEY', keys.openai);
  put('ANTHROPIC_API_KEY', keys.anthropic);
  put('GEMINI_API_KEY', keys.google);
  put('GOOGLE_API_KEY', keys.google);
  const taken = new Set([
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    'GEMINI_API_KEY',
    'GOOGLE_API_KEY',
  ]);
  for (const c of keys.custom) {
    // A name that could change how programs run (PATH, LD_PRELOAD...) is never exported.
    if (!isSafeEnvName(c.envVar) || taken.has(c.envVar)) continue;
    taken.add(c.envVar);
    put(c.envVar, c.value);
  }
  return `${lines.join('\n')}\n`;
}

const MODELS = {
  openai: { title: 'GPT-4o', model: 'gpt-4o', aider: 'gpt-4o' },
  anthropic: { title: 'Claude Sonnet', model: 'claude-sonnet-4-0', aider: 'sonnet' },
  google: { title: 'Gemini', model: 'gemini-2.5-pro', aider: 'gemini' },
} as const;

function aider(keys: AiKeys): string {
  const lines = [
    '# XaresAICoder Credentials: Aider settings; your own changes to this file are kept.',
  ];
  if (keys.openai !== undefined) lines.push(`openai-api-key: ${yamlQuote(keys.openai)}`);
  if (keys.anthropic !== undefined) lines.push(`anthropic-api-key: ${yamlQuote(keys.anthropic)}`);
  if (keys.google !== undefined)
    lines.push('api-key:', `  - ${yamlQuote(`gemini=${keys.google}`)}`);
  const preferred = keys.anthropic ? 'anthropic' : keys.openai ? 'openai' : 'google';
  lines.push(`model: ${MODELS[preferred].aider}`, 'auto-commits: false');
  return `${lines.join('\n')}\n`;
}

function continueConfig(keys: AiKeys): string {
  const lines = [
    '# XaresAICoder Credentials: Continue settings; your own changes to this file are kept.',
    'name: XaresAICoder',
    'version: 1.0.0',
    'schema: v1',
    'models:',
  ];
  const model = (provider: string, m: (typeof MODELS)[keyof typeof MODELS], key: string) =>
    lines.push(
      `  - name: ${yamlQuote(m.title)}`,
      `    provider: ${provider}`,
      `    model: ${yamlQuote(m.model)}`,
      `    apiKey: ${yamlQuote(key)}`,
    );
  if (keys.anthropic !== undefined) model('anthropic', MODELS.anthropic, keys.anthropic);
  if (keys.openai !== undefined) model('openai', MODELS.openai, keys.openai);
  if (keys.google !== undefined) model('gemini', MODELS.google, keys.google);
  return `${lines.join('\n')}\n`;
}

function openCode(keys: AiKeys): string {
  const provider: Record<string, { options: { apiKey: string } }> = {};
  if (keys.anthropic !== undefined) provider.anthropic = { options: { apiKey: keys.anthropic } };
  if (keys.openai !== undefined) provider.openai = { options: { apiKey: keys.openai } };
  if (keys.google !== undefined) provider.google = { options: { apiKey: keys.google } };
  return `${JSON.stringify({ $schema: 'https://opencode.ai/config.json', provider }, null, 2)}\n`;
}

/** Where the tool configuration files go (relative to home). */
export const AI_TOOL_PATHS = [
  '.aider.conf.yml',
  '.continue/config.yaml',
  '.config/opencode/opencode.json',
] as const;

/** The tool configuration files (paths relative to home); none when no provider has a key. */
export function aiToolFiles(keys: AiKeys): AiFile[] {
  if (keys.openai === undefined && keys.anthropic === undefined && keys.google === undefined) {
    return [];
  }
  return [
    { path: AI_TOOL_PATHS[0], content: aider(keys) },
    { path: AI_TOOL_PATHS[1], content: continueConfig(keys) },
    { path: AI_TOOL_PATHS[2], content: openCode(keys) },
  ];
}
