// Per-user settings; a user without a row has the defaults. autoInject is opt-in (CONTRACT.md
// section 5): the owner label alone must not hand a container everything with no action by the
// user; migration 0003 turned it off for rows written before.
import type { Executor } from './database';
import { isUniqueViolation } from './dialect';
import type { AiKeyDelivery } from './schema';

export interface UserSettings {
  autoInject: boolean;
  auditLogging: boolean;
  clearOnSessionTimeout: boolean;
  /** How AI keys reach a workspace: the gateway (no key in the container) or `~/.env`. */
  aiKeyDelivery: AiKeyDelivery;
}

export const DEFAULT_SETTINGS: UserSettings = {
  autoInject: false,
  auditLogging: true,
  clearOnSessionTimeout: false,
  aiKeyDelivery: 'gateway',
};

export async function getSettings(db: Executor, userId: string): Promise<UserSettings> {
  const row = await db
    .selectFrom('user_settings')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) return { ...DEFAULT_SETTINGS };
  return {
    autoInject: row.auto_inject === 1,
    auditLogging: row.audit_logging === 1,
    clearOnSessionTimeout: row.clear_on_session_timeout === 1,
    aiKeyDelivery: row.ai_key_delivery === 'environment' ? 'environment' : 'gateway',
  };
}

/** Changes the given settings, keeps the others; returns the result. */
export async function updateSettings(
  db: Executor,
  userId: string,
  changes: Partial<UserSettings>,
): Promise<UserSettings> {
  const next = { ...(await getSettings(db, userId)), ...dropUndefined(changes) };
  const values = {
    auto_inject: next.autoInject ? 1 : 0,
    audit_logging: next.auditLogging ? 1 : 0,
    clear_on_session_timeout: next.clearOnSessionTimeout ? 1 : 0,
    ai_key_delivery: next.aiKeyDelivery,
    updated_at: Date.now(),
  };
  const update = () =>
    db.updateTable('user_settings').set(values).where('user_id', '=', userId).executeTakeFirst();
  if (Number((await update()).numUpdatedRows) === 0) {
    try {
      await db
        .insertInto('user_settings')
        .values({ user_id: userId, ...values })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await update();
    }
  }
  return next;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
