// The workspaces of a user being disabled (`user disable`): every one they injected into loses
// its token and the injected files, as credentials.clearAll does. Clearing reveals no secret, so
// no master key is needed; the engine is asked only when the user has open injections.
import type Docker from 'dockerode';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { listActiveInjections } from '../store/injections';
import type { Store } from '../store/database';
import { hostsOf } from './service';
import { WorkspaceOperations, type ClearAllOutcome } from './operations';

export interface OffboardDeps {
  store: Store;
  config: Config;
  logger: Logger;
  /** Default: a client for each of CREDENTIAL_DOCKER_HOSTS. */
  docker?: Docker;
}

export async function clearWorkspacesOfUser(
  deps: OffboardDeps,
  user: { id: string; username: string },
  userAgent: string,
): Promise<ClearAllOutcome> {
  if ((await listActiveInjections(deps.store.db, user.id)).length === 0) {
    return { cleared: 0, notCleared: [] };
  }
  const ops = new WorkspaceOperations({
    store: deps.store,
    config: deps.config,
    logger: deps.logger,
    hosts: hostsOf(deps),
    keyring: null,
  });
  return ops.clearAllOf({ userId: user.id, username: user.username, ipAddress: null, userAgent });
}
