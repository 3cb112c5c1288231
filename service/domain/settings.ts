// The caller's security settings (auto-inject, audit logging, clear on session timeout).
import type { Settings, SettingsUpdateInputT } from '../api/settings';
import { getSettings as readSettings, updateSettings as writeSettings } from '../store/settings';
import { audit } from './common';
import type { DomainContext } from './deps';

export async function getSettings(ctx: DomainContext): Promise<Settings> {
  return readSettings(ctx.deps.store.db, ctx.caller.userId);
}

export async function updateSettings(
  ctx: DomainContext,
  input: SettingsUpdateInputT,
): Promise<Settings> {
  const settings = await writeSettings(ctx.deps.store.db, ctx.caller.userId, input);
  const changed = Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  await audit(ctx, { action: 'settings', outcome: 'success', detail: changed || 'no change' });
  return settings;
}
