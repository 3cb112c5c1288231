// Workspaces: the caller's containers, injection and clearing, through the WorkspaceService;
// credentials.clearAll deletes every credential and clears every workspace of the caller.
import { AppError } from '../errors';
import type { ClearAllResult, ClearResult, InjectResult, Workspace } from '../api/workspaces';
import { deleteAllCredentials } from '../store/credentials';
import { audit } from './common';
import type { DomainContext, WorkspacePort } from './deps';

function service(ctx: DomainContext): WorkspacePort {
  const workspaces = ctx.deps.workspaces;
  if (!workspaces) {
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'Docker is not reachable, so workspaces cannot be listed, injected or cleared',
    );
  }
  return workspaces;
}

export async function listWorkspaces(ctx: DomainContext): Promise<Workspace[]> {
  return service(ctx).list(ctx.caller);
}

export async function injectWorkspace(
  ctx: DomainContext,
  workspaceId: string,
): Promise<InjectResult> {
  // A workspace session may inject only its own container: WorkspaceService accepts any id that
  // names it (the hostname, an id prefix, works too) and refuses every other without a lookup.
  const caller = ctx.caller;
  return service(ctx).inject(caller, workspaceId);
}

/** One of the caller's workspaces (REST GET /workspace/:id); NOT_FOUND for anyone else's. */
export async function getWorkspace(ctx: DomainContext, workspaceId: string): Promise<Workspace> {
  const all = await service(ctx).list(ctx.caller);
  const found = all.find((w) => w.id === workspaceId || w.name === workspaceId);
  if (!found) throw new AppError('NOT_FOUND', `no workspace ${workspaceId} of yours`);
  return found;
}

export async function clearWorkspace(
  ctx: DomainContext,
  workspaceId: string,
): Promise<ClearResult> {
  return service(ctx).clear(ctx.caller, workspaceId);
}

export async function clearAllCredentials(ctx: DomainContext): Promise<ClearAllResult> {
  // Workspaces first: clearing needs nothing of the credentials, and a failure here leaves the
  // credentials in place for a retry rather than files nobody can clear.
  const workspacesCleared = ctx.deps.workspaces
    ? (await ctx.deps.workspaces.clearAllForUser(ctx.caller)).workspacesCleared
    : 0;
  const deleted = await deleteAllCredentials(ctx.deps.store.db, ctx.caller.userId);
  await audit(ctx, {
    action: 'clear',
    outcome: 'success',
    detail: `${deleted} credentials deleted, ${workspacesCleared} workspaces cleared`,
  });
  return { deleted, workspacesCleared };
}
