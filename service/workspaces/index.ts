// Workspace injection: the WorkspaceService the routers call, and the Docker client it uses.
export { WorkspaceService, OWNER_LABEL, USER_LABEL } from './service';
export type { WorkspaceCaller, WorkspaceServiceDeps, WorkspaceSummary } from './types';
export { createDockerClient } from './docker';
export { createDockerHosts, hostStates, type DockerHost, type HostState } from './hosts';
export { clearWorkspacesOfUser } from './offboard';
export type { ClearAllOutcome } from './operations';
