// What each injection wrote into a container (workspace_injections), so clearing removes exactly
// those files and revokes the workspace session minted for it.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Executor } from './database';
import type { InjectionRow } from './schema';

export const ManifestEntrySchema = z.object({
  /** Relative to the workspace user's home. */
  path: z.string().min(1),
  sha256: z.string(),
  mode: z.number().int(),
});
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

export interface Injection extends Omit<InjectionRow, 'manifest'> {
  manifest: ManifestEntry[];
}

function parse(row: InjectionRow): Injection {
  const manifest = z.array(ManifestEntrySchema).safeParse(JSON.parse(row.manifest));
  return { ...row, manifest: manifest.success ? manifest.data : [] };
}

export async function recordInjection(
  db: Executor,
  input: {
    userId: string;
    workspaceId: string;
    workspaceName: string;
    sessionId: string | null;
    manifest: ManifestEntry[];
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
