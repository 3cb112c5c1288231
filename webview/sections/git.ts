// Git providers: every saved git token (several per provider, told apart by name and path
// prefix) with Test / Rename / Delete, "Connect GitHub" / "Connect GitLab" (the palette's OAuth
// device sign-in), and per provider a form to add a pasted token with an optional name and path
// prefix (tokens.ts).
import { ConnectProvider, DeleteToken, RenameToken, TestToken } from '../../protocol/messages';
import { gitTokenRows } from '../../protocol/viewModel';
import type { GitTokenRow } from '../../protocol/viewModel';
import { providerName } from '../../protocol/wording';
import { button, h, section, textField, valueOf } from '../dom';
import type { Ctx } from '../dom';
import { gitTokenForms } from './tokens';

export function gitSection(ctx: Ctx): HTMLElement {
  const rows = gitTokenRows(ctx.state.tokens, new Date());
  const readOnly = ctx.state.sessionKind === 'workspace';
  return section(
    'git',
    'Git Providers',
    rows.length
      ? h(
          'ul',
          { class: 'token-list', id: 'git-tokens', 'aria-label': 'Saved git tokens' },
          ...rows.map((r) => tokenRow(ctx, r, readOnly)),
        )
      : h('p', { class: 'muted', id: 'git-tokens-empty' }, 'No git token saved yet.'),
    h(
      'div',
      { class: 'actions' },
      ...(['github', 'gitlab'] as const).map((p) => {
        const b = button(`Connect ${providerName(p)}`, { id: `connect-${p}` }, (el) =>
          ctx.run(el, `Connecting ${providerName(p)}: follow the notification…`, async () => {
            await ctx.host.request(ConnectProvider, { provider: p });
            await ctx.reload();
          }),
        );
        if (readOnly) b.setAttribute('disabled', '');
        return b;
      }),
    ),
    h('h3', { id: 'git-add' }, 'Add or replace a token'),
    h(
      'p',
      { class: 'muted' },
      'Leave the name empty to replace the default token. With several tokens for one host, a repository gets the token whose prefix matches its path, else the one named default.',
    ),
    ...gitTokenForms(ctx),
  );
}

function tokenRow(ctx: Ctx, r: GitTokenRow, readOnly: boolean): HTMLElement {
  const name = textField(`git-${r.id}-name`, 'Name', { value: r.name });
  const test = button('Test', { id: `git-${r.id}-test`, secondary: true }, (b) =>
    ctx.run(b, `Testing ${r.title}…`, async () => {
      const t = await ctx.host.request(TestToken, { id: r.id });
      ctx.announce(
        `${r.title}: ${t.status}${t.account ? ` (${t.account})` : ''}${t.detail ? `: ${t.detail}` : ''}`,
        t.success ? 'info' : 'error',
      );
      await ctx.reload();
    }),
  );
  const rename = button('Rename', { id: `git-${r.id}-rename`, secondary: true }, (b) =>
    ctx.run(b, `Renaming ${r.title}…`, async () => {
      const next = valueOf(name.field).trim();
      if (!next || next === r.name) throw new Error('Type the new name first.');
      const saved = await ctx.host.request(RenameToken, { id: r.id, name: next });
      ctx.announce(`Renamed to ${saved.name}.`);
      await ctx.reload();
    }),
  );
  const remove = button('Delete', { id: `git-${r.id}-delete`, secondary: true }, (b) =>
    ctx.run(b, `Deleting ${r.title}…`, async () => {
      // The host asks in a modal first; nothing is deleted when the user declines.
      const deleted = await ctx.host.request(DeleteToken, { id: r.id });
      ctx.announce(deleted ? `${r.title} deleted.` : 'Nothing was deleted.');
      await ctx.reload();
    }),
  );
  if (readOnly) for (const b of [rename, remove]) b.setAttribute('disabled', '');
  const reconnect = r.reconnect
    ? button(`Reconnect ${providerName(r.reconnect)}`, { id: `git-${r.id}-reconnect` }, (b) =>
        ctx.run(b, `Reconnecting ${providerName(r.reconnect!)}…`, async () => {
          await ctx.host.request(ConnectProvider, { provider: r.reconnect! });
          await ctx.reload();
        }),
      )
    : null;
  return h(
    'li',
    {
      class: `token-item git-token${r.reconnect ? ' needs-reconnect' : ''}`,
      id: `git-token-${r.id}`,
      'data-provider': r.provider,
      'data-name': r.name,
      'aria-label': r.title,
    },
    h('h3', { class: 'token-title' }, r.title),
    h(
      'p',
      { class: 'token-meta' },
      h('span', { class: 'account' }, r.account),
      ' · ',
      h('span', { class: 'host' }, r.host),
      ' · ',
      h('span', { class: 'prefix' }, r.scope),
      ' · ',
      h('span', { class: 'source' }, r.source),
      ' · ',
      h('span', { class: 'mono' }, r.hint),
    ),
    h(
      'p',
      { class: 'token-state' },
      h('span', { class: r.test.level }, r.test.text),
      ' · ',
      h('span', { class: r.expiry.level }, r.expiry.text),
    ),
    r.reconnect
      ? h(
          'p',
          { class: 'bad reconnect', role: 'alert' },
          `reconnect: the ${providerName(r.reconnect)} sign-in could not be renewed.`,
        )
      : null,
    readOnly ? null : name.wrap,
    h('div', { class: 'actions' }, reconnect, test, readOnly ? null : rename, remove),
  );
}
