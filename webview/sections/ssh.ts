// SSH key section: the public key (read-only), Generate New / Export Public / Copy, and where
// the key is registered, for what (authentication, signing; both shown per provider), with a
// usage choice and a Register button per provider.
import {
  CopyPublicKey,
  ExportPublicKey,
  GenerateSshKey,
  RegisterSshKey,
} from '../../protocol/messages';
import { KEY_USAGES } from '../../protocol/model';
import type { GitProvider, KeyUsage } from '../../protocol/model';
import { registrationLines, USAGE_TEXT } from '../../protocol/viewModel';
import { PROVIDER_LABELS } from '../../protocol/wording';
import { button, formatTime, h, section, valueOf } from '../dom';
import type { Ctx } from '../dom';

const PROVIDERS: { id: GitProvider; label: string }[] = (
  ['github', 'forgejo', 'gitlab'] as const
).map((id) => ({ id, label: PROVIDER_LABELS[id] }));

export function sshSection(ctx: Ctx): HTMLElement {
  const key = ctx.state.sshKey;
  const readOnly = ctx.state.sessionKind === 'workspace';
  const generate = button(key ? 'Generate New' : 'Generate Key', { id: 'ssh-generate' }, (b) =>
    ctx.run(b, 'Generating SSH key…', async () => {
      const k = await ctx.host.request(GenerateSshKey, undefined);
      if (k) ctx.announce(`New SSH key generated: ${k.fingerprint}`);
      await ctx.reload();
    }),
  );
  if (readOnly) generate.setAttribute('disabled', '');

  const body = key
    ? h(
        'div',
        { class: 'stack' },
        h(
          'vscode-label',
          { for: 'ssh-public-key' },
          `${key.name === 'default' ? 'Default' : key.name} SSH key (ED25519)`,
        ),
        Object.assign(
          h('vscode-textarea', { id: 'ssh-public-key', readonly: true, rows: '3', class: 'mono' }),
          { label: 'Public SSH key', value: key.publicKey },
        ),
        h(
          'p',
          { class: 'muted' },
          `Fingerprint ${key.fingerprint} · created ${formatTime(key.createdAt)}`,
        ),
        h(
          'div',
          { class: 'actions' },
          generate,
          button('Export Public', { id: 'ssh-export', secondary: true }, (b) =>
            ctx.run(b, 'Exporting public key…', async () => {
              const where = await ctx.host.request(ExportPublicKey, undefined);
              if (where) ctx.announce(`Public key saved to ${where}`);
            }),
          ),
          button('Copy', { id: 'ssh-copy', secondary: true }, (b) =>
            ctx.run(b, 'Copying…', async () => {
              await ctx.host.request(CopyPublicKey, undefined);
              ctx.announce('Public key copied to the clipboard');
            }),
          ),
        ),
      )
    : h(
        'div',
        { class: 'stack' },
        h('p', {}, 'No SSH key yet. Generate one to use it in every workspace.'),
        h('div', { class: 'actions' }, generate),
      );

  // Usages exist when the service knows commit signing (both came in one release); an older one
  // registers for authentication only, so the choice is not offered there.
  const usages = ctx.state.settings?.commitSigning != null;
  const registrations = h(
    'ul',
    { class: 'registrations', 'aria-label': 'Registered with' },
    ...PROVIDERS.map((p) => {
      const lines = key ? registrationLines(key.registrations, p.id) : [];
      const hasToken = ctx.state.tokens.some((t) => t.provider === p.id);
      const usage = usages
        ? h(
            'vscode-single-select',
            { id: `ssh-usage-${p.id}`, 'aria-label': `Register with ${p.label} for` },
            ...KEY_USAGES.map((u) => h('vscode-option', { value: u }, USAGE_TEXT[u])),
          )
        : null;
      const register = button('Register', { id: `ssh-register-${p.id}`, secondary: true }, (b) =>
        ctx.run(b, `Registering the key with ${p.label}…`, async () => {
          const chosen = usage ? (valueOf(usage) as KeyUsage) : '';
          const r = await ctx.host.request(RegisterSshKey, {
            provider: p.id,
            ...(chosen ? { usage: chosen } : {}),
          });
          ctx.announce(
            `${p.label}: ${r.status.replace('_', ' ')}${r.detail ? ` (${r.detail})` : ''}`,
            r.status === 'error' ? 'error' : 'info',
          );
          await ctx.reload();
        }),
      );
      if (!key || !hasToken || readOnly) {
        register.setAttribute('disabled', '');
        register.setAttribute(
          'title',
          !key ? 'Generate a key first' : `Save a ${p.label} token first`,
        );
      }
      if (usage && (!key || !hasToken || readOnly)) usage.setAttribute('disabled', '');
      return h(
        'li',
        { class: `registration ${lines.length ? '' : 'none'}`, id: `ssh-registration-${p.id}` },
        h('span', { class: 'provider-name' }, p.label),
        h(
          'span',
          { class: 'registration-status' },
          ...(lines.length
            ? lines.map((l) =>
                h('span', { class: `registration-line ${l.level}` }, `${l.status} for ${l.usage}`),
              )
            : ['not registered']),
        ),
        usage,
        register,
      );
    }),
  );

  return section('ssh', 'SSH Key', body, h('h3', {}, 'Registered with'), registrations);
}
