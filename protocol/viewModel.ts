// What each row of the Credentials view says, computed from the view state without the DOM, so
// the wording, ordering and warnings are unit-tested; webview/sections only lay them out.
import type { AiKeyDelivery, AiUsageRowView, KeyUsage, Registration, TokenView } from './model';
import { expiryText, providerName, providerRank } from './wording';
import type { Level } from './wording';

export type { Level };

/** The host of a token's URL, or the provider's public host when it has none. */
export function hostOf(t: Pick<TokenView, 'provider' | 'url'>): string {
  if (t.url) {
    try {
      return new URL(t.url).host;
    } catch {
      return t.url;
    }
  }
  const publicHost: Record<string, string> = {
    github: 'github.com',
    gitlab: 'gitlab.com',
    openai: 'api.openai.com',
    anthropic: 'api.anthropic.com',
    google: 'generativelanguage.googleapis.com',
  };
  return publicHost[t.provider] ?? '';
}

export interface Line {
  text: string;
  level: Level;
}

export function expiryLine(expiresAt: string | null, now: Date): Line {
  const { text, level } = expiryText(expiresAt, now);
  return { text, level };
}

export function testLine(t: Pick<TokenView, 'lastTest'>): Line {
  const test = t.lastTest;
  if (!test) return { text: 'not tested yet', level: 'muted' };
  const mark = test.status === 'valid' ? '✓' : '✗';
  return {
    text: `${mark} ${test.status}${test.detail ? `: ${test.detail}` : ''} (${test.checkedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    level: test.status === 'valid' ? 'ok' : 'bad',
  };
}

export interface GitTokenRow {
  id: string;
  provider: string;
  /** "GitHub · work" */
  title: string;
  name: string;
  account: string;
  host: string;
  /** "acme/*", or "every repository" when the token has no prefix. */
  scope: string;
  source: 'pasted' | 'OAuth';
  hint: string;
  expiry: Line;
  test: Line;
  /** The OAuth provider to connect again when the service could not renew the token. */
  reconnect: 'github' | 'gitlab' | null;
}

/** Every saved git token, several per provider: provider order, then default first, then name. */
export function gitTokenRows(tokens: TokenView[], now: Date): GitTokenRow[] {
  return tokens
    .filter((t) => t.type === 'git_token')
    .sort(
      (a, b) =>
        providerRank(a.provider) - providerRank(b.provider) ||
        hostOf(a).localeCompare(hostOf(b)) ||
        Number(b.name === 'default') - Number(a.name === 'default') ||
        a.name.localeCompare(b.name),
    )
    .map((t) => ({
      id: t.id,
      provider: t.provider,
      title: `${providerName(t.provider)} · ${t.name}`,
      name: t.name,
      account: t.username ?? '(account not known yet: test the token)',
      host: hostOf(t),
      scope: t.pathPrefix ? `${t.pathPrefix}/*` : 'every repository',
      source: t.source === 'oauth' ? 'OAuth' : 'pasted',
      hint: t.hint,
      expiry: expiryLine(t.expiresAt, now),
      test: testLine(t),
      reconnect:
        t.needsReconnect && (t.provider === 'github' || t.provider === 'gitlab')
          ? t.provider
          : null,
    }));
}

export interface AiKeyRow {
  id: string;
  title: string;
  host: string;
  envVar: string | null;
  hint: string;
  test: Line;
}

/** A row per AI key, the custom OpenAI-compatible providers included (name, URL, variable). */
export function aiKeyRows(tokens: TokenView[]): AiKeyRow[] {
  return tokens
    .filter((t) => t.type === 'ai_token')
    .sort(
      (a, b) => providerRank(a.provider) - providerRank(b.provider) || a.name.localeCompare(b.name),
    )
    .map((t) => ({
      id: t.id,
      title:
        t.provider === 'custom'
          ? `Custom · ${t.name}`
          : `${providerName(t.provider)}${t.name === 'default' ? '' : ` · ${t.name}`}`,
      host: hostOf(t),
      envVar: t.envVar,
      hint: t.hint,
      test: testLine(t),
    }));
}

export interface UsageLine {
  provider: string;
  model: string;
  requests: string;
  tokens: string;
}

const num = (n: number) => n.toLocaleString('en-US');

/** Usage rows for one period, busiest first, with a total line when there is more than one. */
export function usageLines(rows: AiUsageRowView[]): UsageLine[] {
  const lines = [...rows]
    .sort(
      (a, b) =>
        b.requests - a.requests ||
        a.provider.localeCompare(b.provider) ||
        (a.model ?? '').localeCompare(b.model ?? ''),
    )
    .map((r) => ({
      provider: r.provider.startsWith('custom') ? r.provider : providerName(r.provider),
      model: r.model ?? '(model not reported)',
      requests: `${num(r.requests)}${r.failed ? ` (${num(r.failed)} failed)` : ''}`,
      tokens: `${num(r.inputTokens)} in / ${num(r.outputTokens)} out`,
    }));
  if (rows.length > 1) {
    const sum = (f: (r: AiUsageRowView) => number) => rows.reduce((s, r) => s + f(r), 0);
    const failed = sum((r) => r.failed);
    lines.push({
      provider: 'Total',
      model: '',
      requests: `${num(sum((r) => r.requests))}${failed ? ` (${num(failed)} failed)` : ''}`,
      tokens: `${num(sum((r) => r.inputTokens))} in / ${num(sum((r) => r.outputTokens))} out`,
    });
  }
  return lines;
}

export const AI_KEY_DELIVERY_TEXT: Record<AiKeyDelivery, { label: string; explain: string }> = {
  gateway: {
    label: 'Through the gateway (recommended)',
    explain:
      'Workspaces get the service’s AI gateway address and a revocable workspace token; your provider keys never enter the container.',
  },
  environment: {
    label: 'In the environment',
    explain:
      'Your keys are written to ~/.env (readable only by you) for tools that cannot use the gateway; any process in the workspace can read them.',
  },
};

export const AUTO_INJECT_EXPLAIN =
  'Off by default: credentials reach a workspace only when you press Inject (or run "Inject Credentials into This Workspace"), so a container you did not mean to trust gets nothing.';

export const COMMIT_SIGNING_EXPLAIN =
  'Workspaces sign commits and tags with your SSH key (register it for signing at your provider so they show as verified).';

export const USAGE_TEXT: Record<KeyUsage, string> = {
  authentication: 'authentication',
  signing: 'signing',
  both: 'authentication and signing',
};

export interface RegistrationLine {
  usage: string;
  status: string;
  level: Level;
}

const REGISTRATION_STATUS: Record<string, { status: string; level: Level }> = {
  registered: { status: '✓ registered', level: 'ok' },
  already_registered: { status: '✓ registered', level: 'ok' },
  pending: { status: '… pending', level: 'pending' },
  error: { status: '✗ error', level: 'bad' },
};

/** A provider's registrations of the key: authentication and signing each on a line. */
export function registrationLines(
  registrations: Registration[],
  provider: string,
): RegistrationLine[] {
  return registrations
    .filter((r) => r.provider === provider)
    .map((r) => ({
      // A service that predates usages registered keys for authentication only.
      usage: USAGE_TEXT[r.usage ?? 'authentication'],
      ...(REGISTRATION_STATUS[r.status] ?? { status: r.status, level: 'pending' as Level }),
    }));
}
