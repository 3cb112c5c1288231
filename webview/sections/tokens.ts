// The save-or-replace forms of both provider sections: one per provider with its `default`
// token's hint (never the token), last test, an input for a new value, and Test / Save (git
// forms also take a name, for a second account, and a path prefix). The AI section lists every
// saved AI key (custom OpenAI-compatible providers with their URL and variable) above its forms,
// and the usage panel (usage.ts) below.
import { SaveToken, TestToken } from '../../protocol/messages';
import type { SaveTokenParams } from '../../protocol/messages';
import { AI_TOOLS } from '../../protocol/model';
import type { AiProvider, GitProvider, TokenView } from '../../protocol/model';
import { aiKeyRows } from '../../protocol/viewModel';
import { expiryText } from '../../protocol/wording';
import { usagePanel } from './usage';
import { button, formatTime, h, section, setValue, textField, valueOf } from '../dom';
import type { Ctx } from '../dom';

interface RowSpec {
  type: SaveTokenParams['type'];
  provider: GitProvider | AiProvider;
  label: string;
  placeholder: string;
  note?: string;
  url?: 'required' | 'optional';
  envVar?: boolean;
}

const GIT_ROWS: RowSpec[] = [
  {
    type: 'git_token',
    provider: 'github',
    label: 'GitHub Personal Access Token',
    placeholder: 'ghp_xxxxxxxxxxxx',
    note: 'Permissions: repo, user, delete_repo (admin:public_key to register the SSH key)',
  },
  {
    type: 'git_token',
    provider: 'forgejo',
    label: 'Forgejo Access Token',
    placeholder: 'xxxxxxxxxxxxxxxx',
    note: 'Also for Gitea and Codeberg.',
    url: 'required',
  },
  {
    type: 'git_token',
    provider: 'gitlab',
    label: 'GitLab Access Token',
    placeholder: 'glpat-xxxxxxxxxxxx',
    url: 'optional',
  },
];

/** The git providers' save-or-replace forms (git.ts lists the saved tokens above them). */
export function gitTokenForms(ctx: Ctx): HTMLElement[] {
  return GIT_ROWS.map((r) => tokenRow(ctx, r, saved(ctx, r)));
}

const AI_ROWS: RowSpec[] = [
  { type: 'ai_token', provider: 'openai', label: 'OpenAI API Key', placeholder: 'sk-xxxxxxxxxxxx' },
  {
    type: 'ai_token',
    provider: 'anthropic',
    label: 'Anthropic API Key',
    placeholder: 'sk-ant-xxxxxxxxxxxx',
  },
  {
    type: 'ai_token',
    provider: 'google',
    label: 'Google AI API Key',
    placeholder: 'AIxxxxxxxxxxxxxxxx',
  },
];

export function aiSection(ctx: Ctx): HTMLElement {
  const customs = ctx.state.tokens.filter((t) => t.type === 'ai_token' && t.provider === 'custom');
  const customSpec = (envVar?: string): RowSpec => ({
    type: 'ai_token',
    provider: 'custom',
    label: envVar ? `Custom key ${envVar}` : 'Custom OpenAI-compatible key',
    placeholder: 'the key',
    envVar: true,
    url: 'optional',
  });
  const rows = aiKeyRows(ctx.state.tokens);
  return section(
    'ai',
    'AI Providers',
    rows.length
      ? h(
          'ul',
          { class: 'token-list', id: 'ai-keys', 'aria-label': 'Saved AI keys' },
          ...rows.map((r) =>
            h(
              'li',
              { class: 'ai-key', id: `ai-key-${r.id}` },
              h('span', { class: 'provider-name' }, r.title),
              ` · ${r.host || 'no URL'}`,
              r.envVar ? h('span', { class: 'mono' }, ` · ${r.envVar}`) : null,
              ` · ${r.hint} · `,
              h('span', { class: r.test.level }, r.test.text),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No AI key saved yet.'),
    ...AI_ROWS.map((r) => tokenRow(ctx, r, saved(ctx, r))),
    ...customs.map((t, i) => tokenRow(ctx, customSpec(t.envVar ?? undefined), t, `custom-${i}`)),
    tokenRow(ctx, customSpec(), undefined, 'custom-new'),
    usagePanel(ctx),
  );
}

function saved(ctx: Ctx, r: RowSpec): TokenView | undefined {
  const mine = ctx.state.tokens.filter((t) => t.type === r.type && t.provider === r.provider);
  return mine.find((t) => t.name === 'default') ?? mine[0];
}

function testLine(t: TokenView | undefined): HTMLElement {
  if (!t) return h('p', { class: 'muted token-state' }, 'Not saved yet.');
  const test = t.lastTest;
  const e = expiryText(t.expiresAt, new Date());
  const expiry =
    e.state === 'none'
      ? null
      : e.state === 'later'
        ? ` · ${e.text}`
        : h('span', { class: e.level }, ` · ⚠ ${e.text}`);
  return h(
    'p',
    { class: `token-state ${test?.status === 'valid' ? 'ok' : test ? 'bad' : 'muted'}` },
    `Saved ${t.hint}`,
    ' · ',
    test
      ? `${test.status === 'valid' ? '✓' : '✗'} ${test.status}${test.detail ? `: ${test.detail}` : ''} (${formatTime(test.checkedAt)})`
      : 'not tested yet',
    expiry,
  );
}

function tokenRow(
  ctx: Ctx,
  spec: RowSpec,
  token: TokenView | undefined,
  key?: string,
): HTMLElement {
  const id = key ?? spec.provider;
  const readOnly = ctx.state.sessionKind === 'workspace';
  const secret = textField(`${id}-token`, spec.label, {
    type: 'password',
    placeholder: token ? `saved ${token.hint}: enter a new value to replace it` : spec.placeholder,
  });
  const isGit = spec.type === 'git_token';
  const url = spec.url
    ? textField(
        `${id}-url`,
        !isGit
          ? 'Base URL (OpenAI-compatible API)'
          : spec.url === 'required'
            ? 'Server URL'
            : 'GitLab URL (optional)',
        {
          type: 'url',
          placeholder: !isGit
            ? 'https://api.mistral.ai/v1'
            : spec.url === 'required'
              ? 'https://git.company.com'
              : 'https://gitlab.com',
          value: token?.url ?? '',
        },
      )
    : undefined;
  // A second account of the provider: another name, and the repositories it answers for.
  const name = isGit
    ? textField(`${id}-name`, 'Name (optional)', { placeholder: 'default, or work, personal…' })
    : undefined;
  const prefix = isGit
    ? textField(`${id}-prefix`, 'Path prefix (optional)', { placeholder: 'acme: only acme/*' })
    : undefined;
  const envVar =
    spec.envVar && !token
      ? textField(`${id}-envvar`, 'Environment variable', { placeholder: 'MISTRAL_API_KEY' })
      : undefined;
  const tools = isGit ? undefined : AI_TOOLS[spec.provider as AiProvider];

  const save = button('Save', { id: `${id}-save` }, (b) =>
    ctx.run(b, `Saving ${spec.label}…`, async () => {
      const value = valueOf(secret.field);
      if (!value.trim()) throw new Error(`Enter the ${spec.label} first.`);
      const params: SaveTokenParams = { type: spec.type, provider: spec.provider, token: value };
      const u = url && valueOf(url.field).trim();
      if (u) params.url = u;
      const n = name && valueOf(name.field).trim();
      if (n) params.name = n;
      const p = prefix && valueOf(prefix.field).trim();
      if (p) params.pathPrefix = p;
      const ev = token?.envVar ?? (envVar && valueOf(envVar.field).trim());
      if (ev) params.envVar = ev;
      const result = await ctx.host.request(SaveToken, params);
      setValue(secret.field, ''); // the value is the host's now; do not keep it in the page
      ctx.announce(`${spec.label} saved (${result.hint}).`);
      await ctx.reload();
    }),
  );
  const test = button('Test', { id: `${id}-test`, secondary: true }, (b) =>
    ctx.run(b, `Testing ${spec.label}…`, async () => {
      if (!token) throw new Error('Save the token first.');
      const r = await ctx.host.request(TestToken, { id: token.id });
      ctx.announce(
        `${spec.label}: ${r.status}${r.account ? ` (${r.account})` : ''}${r.detail ? `: ${r.detail}` : ''}`,
        r.success ? 'info' : 'error',
      );
      await ctx.reload();
    }),
  );
  // Enter in the token field saves, as in a form.
  secret.field.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !save.hasAttribute('disabled')) save.click();
  });
  if (!token || readOnly) test.toggleAttribute('disabled', !token);
  if (readOnly) save.setAttribute('disabled', '');

  return h(
    'div',
    { class: 'token-item', id: `row-${id}`, role: 'group', 'aria-label': spec.label },
    secret.wrap,
    url?.wrap,
    name?.wrap,
    prefix?.wrap,
    envVar?.wrap,
    spec.note ? h('p', { class: 'muted' }, spec.note) : null,
    tools ? h('p', { class: 'muted' }, `Used by: ${tools.join(', ')}`) : null,
    testLine(token),
    h('div', { class: 'actions' }, test, save),
  );
}
