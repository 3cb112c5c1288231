// Security settings: the three switches of the original design, and Clear All Credentials
// (the host asks for confirmation in a modal dialog before anything is deleted).
import { ClearAll, UpdateSettings } from '../../protocol/messages';
import type { SecuritySettings } from '../../protocol/model';
import { button, h, section } from '../dom';
import type { Ctx } from '../dom';

const OPTIONS: { key: keyof SecuritySettings; label: string }[] = [
  { key: 'autoInject', label: 'Automatically inject credentials into new workspaces' },
  { key: 'auditLogging', label: 'Enable audit logging for credential usage' },
  { key: 'clearOnSessionTimeout', label: 'Clear credentials on session timeout' },
];

export function securitySection(ctx: Ctx): HTMLElement {
  const settings = ctx.state.settings;
  if (!settings) {
    return section(
      'security',
      'Security Settings',
      h(
        'p',
        { class: 'muted' },
        'Sign in with your account (not the workspace token) to change these.',
      ),
    );
  }
  const boxes = OPTIONS.map((o) => {
    const box = h('vscode-checkbox', { id: `setting-${o.key}`, checked: settings[o.key] }, o.label);
    box.addEventListener('change', () => {
      const checked = (box as HTMLElement & { checked: boolean }).checked;
      void ctx.run(box, 'Saving setting…', async () => {
        await ctx.host.request(UpdateSettings, { [o.key]: checked });
        ctx.announce(`${o.label}: ${checked ? 'on' : 'off'}`);
      });
    });
    return h('div', { class: 'checkbox-option' }, box);
  });
  return section(
    'security',
    'Security Settings',
    ...boxes,
    h(
      'div',
      { class: 'actions' },
      button('Clear All Credentials', { id: 'clear-all', class: 'danger' }, (b) =>
        ctx.run(b, 'Clearing all credentials…', async () => {
          const r = await ctx.host.request(ClearAll, undefined);
          if (r)
            ctx.announce(
              `Deleted ${r.deleted} credentials; cleared ${r.workspacesCleared} workspaces.`,
            );
          else ctx.announce('Nothing was cleared.');
          await ctx.reload();
        }),
      ),
    ),
  );
}
