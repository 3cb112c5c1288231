// The Docker host a container was injected on (CREDENTIAL_DOCKER_HOSTS): clearing goes to that
// engine, and an engine that reconnects checks only its own containers for removal. Rows made
// before are null: their container is looked for on every host. Frozen: imports only kysely.
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('workspace_injections')
    .addColumn('docker_host', 'varchar(255)')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('workspace_injections').dropColumn('docker_host').execute();
}
