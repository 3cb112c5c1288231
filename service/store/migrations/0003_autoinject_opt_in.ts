// autoInject became opt-in. A stored auto_inject = 1 may only be the old default, written when
// the user changed another setting, so every row starts off and users who want auto-injection
// turn it on again (README, "Upgrades"). Frozen: imports nothing of the app.
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db
    .updateTable('user_settings')
    .set({ auto_inject: 0 })
    .where('auto_inject', '=', 1)
    .execute();
}

export async function down(): Promise<void> {
  // Nothing to undo: which rows were on before is not kept.
}
