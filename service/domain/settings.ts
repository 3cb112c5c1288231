// The caller's security settings.
import { AppError } from '../errors';
import type { Settings, SettingsUpdateInputT } from '../routers/schemas';
import type { DomainContext } from './deps';

export async function getSettings(_ctx: DomainContext): Promise<Settings> {
  throw new AppError('SERVICE_UNAVAILABLE', 'settings are not available yet');
}
export async function updateSettings(
  _ctx: DomainContext,
  _input: SettingsUpdateInputT,
): Promise<Settings> {
  throw new AppError('SERVICE_UNAVAILABLE', 'settings are not available yet');
}
