// What each injection wrote into a container (workspace_injections), so clearing removes exactly
// those files and revokes the workspace session minted for it. Every statement on the table.
// The manifest is stored as JSON and returned parsed but unchecked: its entries are the
// workspaces' business (service/workspaces/manifest.ts checks them).
import { randomUUID } from 'node:crypto';
import type { Executor } from './database';
import type { InjectionRow } from './schema';

export interface Injection extends Omit<InjectionRow, 'manifest'> {
  /** The stored manifest, parsed from JSON (null when that fails), not yet checked. */
  manifest: unknown;
}

function parseStoredJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

function parse(row: InjectionRow): Injection {
  return { ...row, manifest: parseStoredJson(row.manifest) };
}

export async function recordInjection(
  db: Executor,
  input: {
    userId: string;
    workspaceId: string;
    workspaceName: string;
    sessionId: string | null;
    /** Written as JSON. */
    manifest: readonly unknown[];
    injectedAt?: number;
    /** The Docker host the container is on. */
    dockerHost?: string | null;
  },
): Promise<Injection> {
  const row: InjectionRow = {
    id: randomUUID(),
    user_id: input.userId,
    workspace_id: input.workspaceId,
    workspace_name: input.workspaceName.slice(0, 255),
    session_id: input.sessionId,
    manifest: JSON.stringify(input.manifest),
    injected_at: input.injectedAt ?? Date.now(),
    cleared_at: null,
    docker_host: input.dockerHost ?? null,
  };
  await db.insertInto('workspace_injections').values(row).execute();
  return parse(row);
}

/** The user's latest injection into a container that was not cleared yet. */
export async function findActiveInjection(
  db: Executor,
  userId: string,
  workspaceId: string,
): Promise<Injection | undefined> {
  const row = await db
    .selectFrom('workspace_injections')
    .selectAll()
    .where('user_id', '=', userId)
    .where('workspace_id', '=', workspaceId)
    .where('cleared_at', 'is', null)
    .orderBy('injected_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && parse(row);
}

/** Every uncleared injection of the user, newest first (workspaces.list, clearAll). */
export async function listActiveInjections(db: Executor, userId: string): Promise<Injection[]> {
  const rows = await db
    .selectFrom('workspace_injections')
    .selectAll()
    .where('user_id', '=', userId)
    .where('cleared_at', 'is', null)
    .orderBy('injected_at', 'desc')
    .execute();
  return rows.map(parse);
}

/** Uncleared injections into a container whatever the user (the container was removed). */
export async function listActiveInjectionsForWorkspace(
  db: Executor,
  workspaceId: string,
): Promise<Injection[]> {
  const rows = await db
    .selectFrom('workspace_injections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('cleared_at', 'is', null)
    .execute();
  return rows.map(parse);
}

/** Marks every uncleared injection of the user into the container cleared; returns how many. */
export async function markInjectionsCleared(
  db: Executor,
  userId: string,
  workspaceId: string,
  at: number = Date.now(),
): Promise<number> {
  const result = await db
    .updateTable('workspace_injections')
    .set({ cleared_at: at })
    .where('user_id', '=', userId)
    .where('workspace_id', '=', workspaceId)
    .where('cleared_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The manifests and sessions of the user's uncleared injections into a container, newest first
 * (the newest manifest is what is in the container now; every session is to be revoked).
 */
export async function listActiveManifests(
  db: Executor,
  userId: string,
  workspaceId: string,
): Promise<Array<{ manifest: unknown; sessionId: string | null }>> {
  const rows = await db
    .selectFrom('workspace_injections')
    .select(['manifest', 'session_id'])
    .where('user_id', '=', userId)
    .where('workspace_id', '=', workspaceId)
    .where('cleared_at', 'is', null)
    .orderBy('injected_at', 'desc')
    .execute();
  return rows.map((r) => ({ manifest: parseStoredJson(r.manifest), sessionId: r.session_id }));
}

/**
 * Containers with uncleared injections recorded on the Docker host `hostName`, on no host
 * (records older than the column), or on a host not among `knownHosts` (no longer configured);
 * each container once, at most `limit`.
 */
export async function listActiveWorkspacesOnHost(
  db: Executor,
  hostName: string,
  knownHosts: readonly string[],
  limit: number,
): Promise<Array<{ workspace_id: string; docker_host: string | null }>> {
  return db
    .selectFrom('workspace_injections')
    .select(['workspace_id', 'docker_host'])
    .distinct()
    .where('cleared_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('docker_host', '=', hostName),
        eb('docker_host', 'is', null),
        eb('docker_host', 'not in', knownHosts),
      ]),
    )
    .limit(limit)
    .execute();
}
