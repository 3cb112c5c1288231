// Applies the schema migrations in order with Kysely's Migrator. The provider is static (an
// import map, not a folder scan) so the esbuild bundle carries every migration.
import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Database } from '../schema';
import * as m0001 from './0001_initial';
import * as m0002 from './0002_login_failures';
import * as m0003 from './0003_autoinject_opt_in';
import * as m0004 from './0004_login_attempts';
import * as m0005 from './0005_secret_binding';
import * as m0006 from './0006_ai_gateway';
import * as m0007 from './0007_git_accounts';
import * as m0008 from './0008_docker_hosts';

const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_login_failures': m0002,
  '0003_autoinject_opt_in': m0003,
  '0004_login_attempts': m0004,
  '0005_secret_binding': m0005,
  '0006_ai_gateway': m0006,
  '0007_git_accounts': m0007,
  '0008_docker_hosts': m0008,
};

export class MigrationError extends Error {
  override name = 'MigrationError';
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

/** Brings the database to the newest schema; returns the names applied now (empty if none). */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const { error, results }: MigrationResultSet = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`database migration ${failed} failed: ${reason}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied (for doctor and for refusing to serve an old schema). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** How many migrations the database records as applied (0 when it has no migration table). */
export async function appliedMigrationCount(db: Kysely<Database>): Promise<number> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === 'schema_migrations')) return 0;
  const row = await sql<{
    n: number | string;
  }>`select count(*) as n from schema_migrations`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}
