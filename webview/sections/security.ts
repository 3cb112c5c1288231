// Security settings: the switches of the original design, how AI keys reach a workspace
// (aiKeyDelivery) and commit signing, each explained in one line; a setting the service does not
// offer (an older release) is said so instead of shown; and Clear All Credentials (the host asks
// for confirmation in a modal dialog before anything is deleted).
import { ClearAll, UpdateSettings } from '../../protocol/messages';
import type { AiKeyDelivery, SecuritySettings, SettingsPatch } from '../../protocol/model';
import {
  AI_KEY_DELIVERY_TEXT,
  AUTO_INJECT_EXPLAIN,
  COMMIT_SIGNING_EXPLAIN,
} from '../../protocol/viewModel';
import { button, h, section } from '../dom';
import type { Ctx } from '../dom';

type Switch = 'autoInject' | 'auditLogging' | 'clearOnSessionTimeout' | 'commitSigning';
const OPTIONS: { key: Switch; label: string; explain?: string }[] = [
  {
    key: 'autoInject',
    label: 'Automatically inject credentials into new workspaces',
    explain: AUTO_INJECT_EXPLAIN,
  },
  { key: 'auditLogging', label: 'Enable audit logging for credential usage' },
  { key: 'clearOnSessionTimeout', label: 'Clear credentials on session timeout' },
  { key: 'commitSigning', label: 'Sign commits and tags', explain: COMMIT_SIGNING_EXPLAIN },
];

function save(ctx: Ctx, el: HTMLElement, patch: SettingsPatch, said: string): void {
  void ctx.run(el, 'Saving setting…', async () => {
    await ctx.host.request(UpdateSettings, patch);
    ctx.announce(said);
  });
}

function delivery(ctx: Ctx, settings: SecuritySettings): HTMLElement {
  const current = settings.aiKeyDelivery;
  if (current === null) {
    return h(
      'p',
      { class: 'muted', id: 'setting-aiKeyDelivery-unavailable' },
      'AI keys are written into workspaces: this credential service predates the AI gateway.',
    );
  }
  const modes = Object.keys(AI_KEY_DELIVERY_TEXT) as AiKeyDelivery[];
  const group = h(
    'vscode-radio-group',
    {
      id: 'setting-aiKeyDelivery',
      variant: 'vertical',
      'aria-label': 'How AI keys reach a workspace',
    },
    ...modes.map((mode) => {
      const radio = h(
        'vscode-radio',
        {
          id: `setting-aiKeyDelivery-${mode}`,
          name: 'aiKeyDelivery',
          value: mode,
          checked: mode === current,
        },
        AI_KEY_DELIVERY_TEXT[mode].label,
      );
      radio.addEventListener('change', () => {
        if (!(radio as HTMLElement & { checked: boolean }).checked) return;
        save(
          ctx,
          group,
          { aiKeyDelivery: mode },
          `AI keys: ${AI_KEY_DELIVERY_TEXT[mode].label}. Inject again to apply.`,
        );
      });
      return radio;
    }),
  );
  return h(
    'div',
    { class: 'setting' },
    h('h3', {}, 'AI keys in workspaces'),
    group,
    h(
      'ul',
      { class: 'muted explain' },
      ...modes.map((mode) =>
        h(
          'li',
          {},
          h('strong', {}, `${AI_KEY_DELIVERY_TEXT[mode].label}: `),
          AI_KEY_DELIVERY_TEXT[mode].explain,
        ),
      ),
    ),
  );
}

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
    const value = settings[o.key];
    if (value === null) {
      return h(
        'p',
        { class: 'muted', id: `setting-${o.key}-unavailable` },
        `${o.label}: not offered by this credential service yet.`,
      );
    }
    const box = h('vscode-checkbox', { id: `setting-${o.key}`, checked: value }, o.label);
    box.addEventListener('change', () => {
      const checked = (box as HTMLElement & { checked: boolean }).checked;
      save(ctx, box, { [o.key]: checked }, `${o.label}: ${checked ? 'on' : 'off'}`);
    });
    return h(
      'div',
      { class: 'checkbox-option' },
      box,
      o.explain
        ? h('p', { class: 'muted explain', id: `setting-${o.key}-explain` }, o.explain)
        : null,
    );
  });
  return section(
    'security',
    'Security Settings',
    ...boxes,
    delivery(ctx, settings),
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
