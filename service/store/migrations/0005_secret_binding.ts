// The version of the associated data a credential's secret is sealed with (crypto/keyring.ts):
// 1 for rows written before this migration (owner, row id, data key version), 2 from now on
// (also type, provider, name, url and env_var). A migration has no master key, so it cannot
// re-seal anything: the service upgrades version 1 rows itself, at start and on first use.
// Frozen: imports only kysely.
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('credentials')
    .addColumn('secret_aad_version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('credentials').dropColumn('secret_aad_version').execute();
}
