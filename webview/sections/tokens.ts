// AI providers: a row per saved AI key (custom OpenAI-compatible providers included, with their
// URL and variable), then a form per provider with the saved key's hint (never the key), its
// last test, an input for a new value, and Test / Save; the usage panel follows (usage.ts).
import { SaveToken, TestToken } from '../../protocol/messages';
import type { SaveTokenParams } from '../../protocol/messages';
import { AI_TOOLS, daysLeft, EXPIRY_WARNING_DAYS } from '../../protocol/model';
import type { AiProvider, TokenView } from '../../protocol/model';
import { aiKeyRows } from '../../protocol/viewModel';
import { usagePanel } from './usage';
import { button, formatTime, h, section, setValue, textField, valueOf } from '../dom';
import type { Ctx } from '../dom';

interface RowSpec {
  type: SaveTokenParams['type'];
  provider: AiProvider;
  label: string;
  placeholder: string;
  note?: string;
  url?: 'optional';
  envVar?: boolean;
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
  const days = daysLeft(t.expiresAt, new Date());
  const expiry =
    days === null
      ? null
      : days < 0
        ? h('span', { class: 'bad' }, ' · ⚠ expired')
        : days < EXPIRY_WARNING_DAYS
          ? h('span', { class: 'pending' }, ` · ⚠ expires in ${days} day${days === 1 ? '' : 's'}`)
          : ` · expires ${formatTime(t.expiresAt)}`;
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
  const url = spec.url
    ? textField(`${id}-url`, 'Base URL (OpenAI-compatible API)', {
        type: 'url',
        placeholder: 'https://api.mistral.ai/v1',
        value: token?.url ?? '',
      })
    : undefined;
  const envVar =
    spec.envVar && !token
      ? textField(`${id}-envvar`, 'Environment variable', { placeholder: 'MISTRAL_API_KEY' })
      : undefined;
  const tools = AI_TOOLS[spec.provider];

  const save = button('Save', { id: `${id}-save` }, (b) =>
    ctx.run(b, `Saving ${spec.label}…`, async () => {
      const value = valueOf(secret.field);
      if (!value.trim()) throw new Error(`Enter the ${spec.label} first.`);
      const params: SaveTokenParams = { type: spec.type, provider: spec.provider, token: value };
      const u = url && valueOf(url.field).trim();
      if (u) params.url = u;
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
    envVar?.wrap,
    spec.note ? h('p', { class: 'muted' }, spec.note) : null,
    tools ? h('p', { class: 'muted' }, `Used by: ${tools.join(', ')}`) : null,
    testLine(token),
    h('div', { class: 'actions' }, test, save),
  );
}
