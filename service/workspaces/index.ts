// Workspace injection: the WorkspaceService the routers call, and the Docker client it uses.
export {
  WorkspaceService,
  OWNER_LABEL,
  USER_LABEL,
  type WorkspaceCaller,
  type WorkspaceServiceDeps,
  type WorkspaceSummary,
} from './service';
export { createDockerClient } from './docker';
export { clearWorkspacesOfUser } from './offboard';
export type { ClearAllOutcome } from './operations';
