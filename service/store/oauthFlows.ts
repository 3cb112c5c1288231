// Device sign-ins in progress (oauth_flows), shared by replicas: a poll may reach any of them.
// Every query is scoped by the user; a poll claims its turn with a compare-and-swap on version,
// so two polls never ask the provider at once for one flow.
import type { Executor } from './database';
import type { OauthFlowsTable } from './schema';

export type OauthFlowRow = Omit<OauthFlowsTable, 'version'> & { version: number };

export async function insertFlow(db: Executor, row: Omit<OauthFlowRow, 'version'>): Promise<void> {
  await db.insertInto('oauth_flows').values(row).execute();
}

export async function findFlow(
  db: Executor,
  userId: string,
  id: string,
): Promise<OauthFlowRow | undefined> {
  return db
    .selectFrom('oauth_flows')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Writes `changes` if the flow is still at `version`; false when another poll got there first. */
export async function updateFlow(
  db: Executor,
  flow: Pick<OauthFlowRow, 'id' | 'user_id' | 'version'>,
  changes: Partial<
    Pick<OauthFlowRow, 'status' | 'detail' | 'next_poll_at' | 'interval_seconds' | 'credential_id'>
  >,
): Promise<boolean> {
  const result = await db
    .updateTable('oauth_flows')
    .set({ ...changes, version: flow.version + 1 })
    .where('id', '=', flow.id)
    .where('user_id', '=', flow.user_id)
    .where('version', '=', flow.version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Flows finished or expired more than a day ago are of no use to anyone. */
export async function purgeFlows(db: Executor, now = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('oauth_flows')
    .where('expires_at', '<', now - 86_400_000)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
