// Workspaces: the caller's containers, injection and clearing, through the WorkspaceService.
import { AppError } from '../errors';
import type { ClearAllResult, ClearResult, InjectResult, Workspace } from '../routers/schemas';
import type { DomainContext } from './deps';

const notYet = () => new AppError('SERVICE_UNAVAILABLE', 'workspaces are not available yet');

export async function listWorkspaces(_ctx: DomainContext): Promise<Workspace[]> {
  throw notYet();
}
export async function injectWorkspace(
  _ctx: DomainContext,
  _workspaceId: string,
): Promise<InjectResult> {
  throw notYet();
}
export async function clearWorkspace(
  _ctx: DomainContext,
  _workspaceId: string,
): Promise<ClearResult> {
  throw notYet();
}
export async function clearAllCredentials(_ctx: DomainContext): Promise<ClearAllResult> {
  throw notYet();
}

/** One of the caller's workspaces (REST GET /workspace/:id); NOT_FOUND for anyone else's. */
export async function getWorkspace(_ctx: DomainContext, _workspaceId: string): Promise<Workspace> {
  throw notYet();
}
