// SSH key section: the public key (read-only), Generate New / Export Public / Copy, and where
// the key is registered, with a Register button per provider.
import {
  CopyPublicKey,
  ExportPublicKey,
  GenerateSshKey,
  RegisterSshKey,
} from '../../protocol/messages';
import type { GitProvider } from '../../protocol/model';
import { button, formatTime, h, section } from '../dom';
import type { Ctx } from '../dom';

const PROVIDERS: { id: GitProvider; label: string }[] = [
  { id: 'github', label: 'GitHub' },
  { id: 'forgejo', label: 'Forgejo' },
  { id: 'gitlab', label: 'GitLab' },
];

const REGISTRATION_TEXT: Record<string, { mark: string; text: string; cls: string }> = {
  registered: { mark: '✓', text: 'registered', cls: 'ok' },
  already_registered: { mark: '✓', text: 'registered', cls: 'ok' },
  pending: { mark: '…', text: 'pending', cls: 'pending' },
  error: { mark: '✗', text: 'error', cls: 'bad' },
};

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

  const registrations = h(
    'ul',
    { class: 'registrations', 'aria-label': 'Registered with' },
    ...PROVIDERS.map((p) => {
      const reg = key?.registrations.find((r) => r.provider === p.id);
      const shown = reg
        ? (REGISTRATION_TEXT[reg.status] ?? { mark: '?', text: reg.status, cls: 'pending' })
        : null;
      const hasToken = ctx.state.tokens.some((t) => t.provider === p.id);
      const register = button('Register', { id: `ssh-register-${p.id}`, secondary: true }, (b) =>
        ctx.run(b, `Registering the key with ${p.label}…`, async () => {
          const r = await ctx.host.request(RegisterSshKey, { provider: p.id });
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
      return h(
        'li',
        { class: `registration ${shown?.cls ?? 'none'}`, id: `ssh-registration-${p.id}` },
        h('span', { class: 'provider-name' }, p.label),
        h(
          'span',
          { class: 'registration-status' },
          shown ? `${shown.mark} ${shown.text}` : 'not registered',
        ),
        register,
      );
    }),
  );

  return section('ssh', 'SSH Key', body, h('h3', {}, 'Registered with'), registrations);
}
