// The first schema: every table of schema.ts. Migrations take Kysely<any> on purpose (the Kysely
// rule): they describe the schema as it was then, not the application's current types.
import { type Kysely, sql } from 'kysely';
import {
  frozenAutoIncrementType as autoIncrementType,
  frozenColumnTypes as t,
  frozenDialectOf as dialectOf,
} from './frozenTypes';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const dialect = dialectOf(db);
  // InnoDB + utf8mb4 (binary collation: names compare exactly, as on SQLite) whatever the
  // server's defaults, so foreign keys and full Unicode hold.
  const createTable = (name: string) =>
    dialect === 'mysql'
      ? db.schema
          .createTable(name)
          .modifyEnd(sql.raw(' engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin'))
      : db.schema.createTable(name);

  await createTable('service_meta')
    .addColumn('key', t.short(64), (c) => c.primaryKey())
    .addColumn('value', t.text, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .execute();

  await createTable('users')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('username', t.short(64), (c) => c.notNull().unique())
    .addColumn('password_hash', t.short(255), (c) => c.notNull())
    .addColumn('role', t.short(16), (c) => c.notNull())
    .addColumn('disabled', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .execute();

  await createTable('sessions')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', t.short(64), (c) => c.notNull().unique())
    .addColumn('kind', t.short(16), (c) => c.notNull())
    .addColumn('workspace_id', t.short(128))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('last_used_at', t.bigint, (c) => c.notNull())
    .addColumn('expires_at', t.bigint, (c) => c.notNull())
    .addColumn('revoked_at', t.bigint)
    .addColumn('ip_address', t.short(64))
    .addColumn('user_agent', t.text)
    .execute();
  await db.schema.createIndex('idx_sessions_user').on('sessions').columns(['user_id']).execute();
  await db.schema
    .createIndex('idx_sessions_workspace')
    .on('sessions')
    .columns(['workspace_id'])
    .execute();
  await db.schema
    .createIndex('idx_sessions_expires')
    .on('sessions')
    .columns(['expires_at'])
    .execute();

  await createTable('data_keys')
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('version', t.int, (c) => c.notNull())
    .addColumn('wrapped_key', t.short(255), (c) => c.notNull())
    .addColumn('master_key_id', t.short(64), (c) => c.notNull())
    .addColumn('previous_wrapped_key', t.short(255))
    .addColumn('previous_master_key_id', t.short(64))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('rotated_at', t.bigint)
    .addPrimaryKeyConstraint('pk_data_keys', ['user_id', 'version'])
    .execute();
  // rotate-key walks the keys not yet wrapped by the new master key, in batches.
  await db.schema
    .createIndex('idx_data_keys_master')
    .on('data_keys')
    .columns(['master_key_id', 'user_id', 'version'])
    .execute();

  await createTable('credentials')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', t.short(16), (c) => c.notNull())
    .addColumn('provider', t.short(16), (c) => c.notNull())
    .addColumn('name', t.short(100), (c) => c.notNull())
    .addColumn('username', t.short(255))
    .addColumn('url', t.text)
    .addColumn('env_var', t.short(255))
    .addColumn('hint', t.short(255), (c) => c.notNull())
    .addColumn('public_key', t.text)
    .addColumn('fingerprint', t.short(128))
    .addColumn('secret_ciphertext', t.text, (c) => c.notNull())
    .addColumn('secret_iv', t.short(32), (c) => c.notNull())
    .addColumn('secret_tag', t.short(32), (c) => c.notNull())
    .addColumn('data_key_version', t.int, (c) => c.notNull())
    .addColumn('expires_at', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addColumn('last_used_at', t.bigint)
    .addColumn('last_test_status', t.short(16))
    .addColumn('last_test_detail', t.text)
    .addColumn('last_test_at', t.bigint)
    // The original design's uniqueness: one credential per user, type, provider and name.
    .addUniqueConstraint('uq_credentials_user_type_provider_name', [
      'user_id',
      'type',
      'provider',
      'name',
    ])
    .execute();

  await createTable('ssh_key_registrations')
    .addColumn('credential_id', t.id, (c) =>
      c.notNull().references('credentials.id').onDelete('cascade'),
    )
    .addColumn('provider', t.short(16), (c) => c.notNull())
    .addColumn('status', t.short(32), (c) => c.notNull())
    .addColumn('detail', t.text)
    .addColumn('remote_id', t.short(128))
    .addColumn('checked_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_ssh_key_registrations', ['credential_id', 'provider'])
    .execute();

  await createTable('user_settings')
    .addColumn('user_id', t.id, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('auto_inject', t.int, (c) => c.notNull())
    .addColumn('audit_logging', t.int, (c) => c.notNull())
    .addColumn('clear_on_session_timeout', t.int, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .execute();

  // No foreign keys: the audit trail outlives the users and credentials it mentions.
  await createTable('audit_log')
    .addColumn('id', autoIncrementType(dialect), (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', t.id)
    .addColumn('username', t.short(64))
    .addColumn('action', t.short(32), (c) => c.notNull())
    .addColumn('outcome', t.short(16), (c) => c.notNull())
    .addColumn('credential_id', t.id)
    .addColumn('credential_type', t.short(16))
    .addColumn('provider', t.short(64))
    .addColumn('name', t.short(255))
    .addColumn('workspace_id', t.short(128))
    .addColumn('ip_address', t.short(64))
    .addColumn('user_agent', t.text)
    .addColumn('detail', t.text)
    .addColumn('timestamp', t.bigint, (c) => c.notNull())
    .execute();
  // Per-user listing newest first (cursor on id), time-based purge and export, suspicious-activity
  // counts (action and address within an hour), login rate limiting (username or address).
  await db.schema
    .createIndex('idx_audit_user_id')
    .on('audit_log')
    .columns(['user_id', 'id'])
    .execute();
  await db.schema
    .createIndex('idx_audit_user_timestamp')
    .on('audit_log')
    .columns(['user_id', 'timestamp'])
    .execute();
  await db.schema
    .createIndex('idx_audit_timestamp')
    .on('audit_log')
    .columns(['timestamp'])
    .execute();
  await db.schema
    .createIndex('idx_audit_action_ip_timestamp')
    .on('audit_log')
    .columns(['action', 'ip_address', 'timestamp'])
    .execute();
  await db.schema
    .createIndex('idx_audit_action_username_timestamp')
    .on('audit_log')
    .columns(['action', 'username', 'timestamp'])
    .execute();

  await createTable('workspace_injections')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('workspace_id', t.short(128), (c) => c.notNull())
    .addColumn('workspace_name', t.short(255), (c) => c.notNull())
    .addColumn('session_id', t.id)
    .addColumn('manifest', t.text, (c) => c.notNull())
    .addColumn('injected_at', t.bigint, (c) => c.notNull())
    .addColumn('cleared_at', t.bigint)
    .execute();
  await db.schema
    .createIndex('idx_injections_user_workspace')
    .on('workspace_injections')
    .columns(['user_id', 'workspace_id'])
    .execute();
  await db.schema
    .createIndex('idx_injections_workspace')
    .on('workspace_injections')
    .columns(['workspace_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'workspace_injections',
    'audit_log',
    'user_settings',
    'ssh_key_registrations',
    'credentials',
    'data_keys',
    'sessions',
    'users',
    'service_meta',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
