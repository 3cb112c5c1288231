// The WorkspaceService: lists, injects into and clears the caller's containers (ownership as
// ownership.ts decides it, ids resolved only among the caller's own containers, every attempt
// audited), and follows Docker's events for auto-injection and token revocation. Routers call
// it; it throws AppError.
import type Docker from 'dockerode';
import { z } from 'zod';
import type { Config } from '../config';
import type { KeyRing } from '../crypto/keyring';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import {
  findUserByName,
  getSettings,
  listActiveInjections,
  listActiveInjectionsForWorkspace,
  listExpiredUserSessions,
  markInjectionsCleared,
  markSessionExpiredHandled,
  recordAudit,
  revokeWorkspaceSessions,
  type Store,
} from '../store';
import { DockerEventFollower, type ContainerEvent } from './events';
import { WorkspaceOperations, type Actor, type OwnedWorkspace } from './operations';
import {
  OWNER_LABEL,
  OWNER_SIG_LABEL,
  containerName,
  listOwnedContainers,
  matchContainer,
} from './ownership';

export { OWNER_LABEL, USER_LABEL } from './operations';
const SWEEP_INTERVAL_MS = 15_000;
const SWEEP_BATCH = 100;
const RECONCILE_LIMIT = 1000;

export interface WorkspaceCaller {
  userId: string;
  username: string;
  role: 'admin' | 'user';
  sessionKind: 'user' | 'workspace';
  sessionId: string;
  workspaceId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface WorkspaceServiceDeps {
  store: Store;
  keyring: KeyRing;
  docker: Docker;
  config: Config;
  logger: Logger;
  /**
   * The service's own URL, for .config/xares/service-url when CREDENTIAL_PUBLIC_URL is unset (a
   * function, since with port 0 it is known only once listening). Default: from host and port.
   */
  serviceUrl?: string | (() => string);
}

export interface WorkspaceSummary {
  id: string;
  name: string;
  state: string;
  injectedAt: string | null;
}

const WorkspaceIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^\/?[A-Za-z0-9][A-Za-z0-9_.-]*$/);

const SYSTEM_AGENT = 'xares-credentials (docker events)';
const FULL_ID = /^[0-9a-f]{64}$/;

export class WorkspaceService {
  private readonly ops: WorkspaceOperations;
  private readonly events: DockerEventFollower;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: WorkspaceServiceDeps) {
    this.ops = new WorkspaceOperations(deps);
    this.events = new DockerEventFollower(
      deps.docker,
      (e) => this.onContainerEvent(e),
      deps.logger,
      () => this.track(this.revokeRemovedWorkspaces()),
    );
  }

  // --- API ------------------------------------------------------------------------------------

  async list(caller: WorkspaceCaller): Promise<WorkspaceSummary[]> {
    const containers = await this.ownContainers(caller.username);
    const injections = await listActiveInjections(this.deps.store.db, caller.userId);
    const injectedAt = new Map<string, number>();
    for (const i of injections) {
      injectedAt.set(i.workspace_id, Math.max(injectedAt.get(i.workspace_id) ?? 0, i.injected_at));
    }
    return containers
      .filter((c) => caller.sessionKind === 'user' || c.Id === caller.workspaceId)
      .map((c) => ({
        id: c.Id,
        name: containerName(c.Names) ?? c.Id.slice(0, 12),
        state: c.State,
        injectedAt: injectedAt.has(c.Id) ? new Date(injectedAt.get(c.Id)!).toISOString() : null,
      }));
  }

  async inject(
    caller: WorkspaceCaller,
    workspaceId: string,
  ): Promise<{ injected: true; workspaceId: string; files: string[] }> {
    const actor = actorOf(caller);
    const ws = await this.resolveOwned(caller, workspaceId, 'inject');
    const files = await this.ops.withLock(ws.id, () => this.ops.injectOwned(actor, ws));
    return { injected: true, workspaceId: ws.id, files };
  }

  async clear(
    caller: WorkspaceCaller,
    workspaceId: string,
  ): Promise<{ cleared: true; files: string[] }> {
    if (caller.sessionKind === 'workspace') {
      await this.ops.audit(actorOf(caller), 'clear', 'denied', workspaceId, 'workspace session');
      throw new AppError('FORBIDDEN', 'A workspace session cannot clear workspaces');
    }
    const ws = await this.resolveOwned(caller, workspaceId, 'clear');
    const files = await this.ops.withLock(ws.id, () => this.ops.clearOwned(actorOf(caller), ws));
    return { cleared: true, files };
  }

  /** Clears every workspace the user has injected into (credentials.clearAll). */
  async clearAllForUser(caller: WorkspaceCaller): Promise<{ workspacesCleared: number }> {
    return { workspacesCleared: (await this.ops.clearAllOf(actorOf(caller))).cleared };
  }

  // --- background -----------------------------------------------------------------------------

  /** Follows Docker's events and starts the clear-on-session-timeout sweep. */
  start(): void {
    this.events.start();
    if (!this.sweepTimer) {
      this.sweepTimer = setInterval(() => void this.sweepExpiredSessions(), SWEEP_INTERVAL_MS);
      this.sweepTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.events.stop();
    await this.sweeping;
    await Promise.allSettled([...this.pending]);
  }

  /** True while the Docker event stream is connected. */
  get following(): boolean {
    return this.events.connected;
  }

  /** One pass of the clear-on-session-timeout sweep (also run by the timer); bounded. */
  sweepExpiredSessions(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const db = this.deps.store.db;
    try {
      const expired = await listExpiredUserSessions(db, Date.now(), SWEEP_BATCH);
      const users = new Map<string, string>();
      for (const s of expired) {
        users.set(s.user_id, s.id);
        await markSessionExpiredHandled(db, s.id);
      }
      for (const userId of users.keys()) {
        const settings = await getSettings(db, userId);
        if (!settings.clearOnSessionTimeout) continue;
        const injections = await listActiveInjections(db, userId);
        if (injections.length === 0) continue;
        const user = await this.ops.userById(userId);
        if (!user) continue;
        await this.ops.clearAllOf({
          ...user,
          ipAddress: null,
          userAgent: 'xares-credentials (session timeout)',
        });
      }
    } catch (e) {
      this.deps.logger.warn({ err: (e as Error).message }, 'session timeout sweep failed');
    }
  }

  /**
   * Containers removed while the service was not watching (down, or the engine restarting):
   * their injections are closed and their tokens revoked as if the destroy event had come.
   */
  private async revokeRemovedWorkspaces(): Promise<void> {
    const rows = await this.deps.store.db
      .selectFrom('workspace_injections')
      .select('workspace_id')
      .distinct()
      .where('cleared_at', 'is', null)
      .limit(RECONCILE_LIMIT)
      .execute();
    for (const { workspace_id: id } of rows) {
      if ((await this.ops.inspect(id)) === null) await this.onDestroyed(id);
    }
  }

  /** Keeps a background task's promise until it settles, so stop() can wait for it. */
  private track(task: Promise<unknown>): void {
    const settled = task.catch((err: unknown) => {
      this.deps.logger.warn({ err: (err as Error).message }, 'a background workspace task failed');
    });
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }

  private onContainerEvent(e: ContainerEvent): void {
    const task = (async () => {
      if (e.action === 'destroy') await this.onDestroyed(e.id);
      else if (e.action === 'start' && e.labels[OWNER_LABEL]) await this.autoInject(e);
    })().catch((err: unknown) => {
      this.deps.logger.warn(
        { err: (err as Error).message, workspaceId: e.id, action: e.action },
        'handling a container event failed',
      );
    });
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  private async autoInject(e: ContainerEvent): Promise<void> {
    const owner = e.labels[OWNER_LABEL];
    if (!owner) return;
    const user = await findUserByName(this.deps.store.db, owner);
    if (!user || user.disabled) return;
    // Opt-in: a label anyone can write on the engine must not be enough to receive everything.
    if (!(await getSettings(this.deps.store.db, user.id)).autoInject) return;
    const actor: Actor = {
      userId: user.id,
      username: user.username,
      ipAddress: null,
      userAgent: SYSTEM_AGENT,
    };
    const info = await this.ops.inspect(e.id);
    if (!info || info.Id !== e.id || !info.State.Running) return;
    if (!this.ops.owns(info, owner)) {
      // Labelled as the user's, but not signed for them: tell the user, who may want to know.
      if (info.Config.Labels?.[OWNER_LABEL] === owner) {
        await this.ops.audit(
          actor,
          'inject',
          'denied',
          e.id,
          `not auto-injected: the container has no valid ${OWNER_SIG_LABEL} label`,
        );
        this.deps.logger.warn(
          { workspaceId: e.id, user: owner },
          'a container labelled with an owner but without a valid signature was not injected',
        );
      }
      return;
    }
    const ws = this.ops.toOwned(info);
    await this.ops.withLock(ws.id, () => this.ops.injectOwned(actor, ws));
    this.deps.logger.info({ workspaceId: ws.id, user: owner }, 'auto-injected a workspace');
  }

  /** The container is gone: its tokens die and its injections are closed. */
  private async onDestroyed(id: string): Promise<void> {
    const db = this.deps.store.db;
    const revoked = await revokeWorkspaceSessions(db, id);
    const rows = await listActiveInjectionsForWorkspace(db, id);
    for (const userId of new Set(rows.map((r) => r.user_id))) {
      await markInjectionsCleared(db, userId, id);
      const user = await this.ops.userById(userId);
      await recordAudit(db, {
        userId,
        username: user?.username ?? null,
        action: 'clear',
        outcome: 'success',
        workspaceId: id,
        userAgent: SYSTEM_AGENT,
        detail: 'the container was removed; its workspace token was revoked',
      });
    }
    this.ops.forget(id);
    if (revoked > 0 || rows.length > 0) {
      this.deps.logger.info({ workspaceId: id, revoked }, 'workspace removed: tokens revoked');
    }
  }

  // --- access ---------------------------------------------------------------------------------

  /** The caller's containers (owner label, and signature when a label secret is set). */
  private ownContainers(username: string): Promise<Docker.ContainerInfo[]> {
    return listOwnedContainers(this.deps.docker, username, this.deps.config.workspaceLabelSecret);
  }

  /**
   * The caller's container by id, id prefix or name, looked for only among the caller's own
   * containers (Docker's own lookup spans the engine: another user's container named like an id
   * prefix would win). Not one of theirs: NOT_FOUND, the same answer whether or not someone
   * else's exists. A workspace session: only its own container (FORBIDDEN for any other id,
   * without looking it up). Each refusal is audited as denied, an engine failure as failure.
   */
  private async resolveOwned(
    caller: WorkspaceCaller,
    workspaceId: string,
    action: 'inject' | 'clear',
  ): Promise<OwnedWorkspace> {
    const actor = actorOf(caller);
    const shown = workspaceId.slice(0, 128);
    if (!WorkspaceIdSchema.safeParse(workspaceId).success) {
      throw new AppError('BAD_REQUEST', 'workspaceId is not a valid container id or name');
    }
    const wanted = workspaceId.replace(/^\//, '');
    const refuse = async (
      code: 'NOT_FOUND' | 'FORBIDDEN' | 'BAD_REQUEST',
      audited: string,
      detail: string,
      message: string,
    ): Promise<never> => {
      await this.ops.audit(actor, action, 'denied', audited, detail);
      throw new AppError(code, message);
    };
    let found: OwnedWorkspace | null | undefined;
    try {
      found =
        caller.sessionKind === 'workspace'
          ? await this.ownWorkspace(caller, wanted)
          : await this.amongOwn(caller.username, wanted);
    } catch (e) {
      if (e instanceof AppError && e.code === 'BAD_REQUEST') {
        return refuse('BAD_REQUEST', shown, e.message, e.message);
      }
      const detail = e instanceof AppError ? e.message : 'the workspace could not be looked up';
      await this.ops.audit(actor, action, 'failure', shown, detail).catch(() => undefined);
      throw e;
    }
    if (found === undefined) {
      return refuse(
        'FORBIDDEN',
        shown,
        'a workspace session acts only on its own workspace',
        'A workspace session can only inject its own workspace',
      );
    }
    if (!found)
      return refuse('NOT_FOUND', shown, 'no such workspace of yours', 'No such workspace');
    return found;
  }

  /**
   * A workspace session's own container when `wanted` names it (its id, an id prefix such as
   * the hostname, or its name); undefined when `wanted` names anything else; null when its own
   * container is gone or no longer the user's.
   */
  private async ownWorkspace(
    caller: WorkspaceCaller,
    wanted: string,
  ): Promise<OwnedWorkspace | null | undefined> {
    const own = caller.workspaceId;
    if (!own) return undefined;
    const info = await this.ops.inspect(own);
    const mine = info && info.Id === own ? info : null;
    const names = own.startsWith(wanted) || (mine !== null && containerName(mine.Name) === wanted);
    if (!names) return undefined;
    return mine && this.ops.owns(mine, caller.username) ? this.ops.toOwned(mine) : null;
  }

  /** The one of the user's containers that `wanted` names, or null. */
  private async amongOwn(username: string, wanted: string): Promise<OwnedWorkspace | null> {
    // The common case, a full id, needs no listing: the engine finds a full id before a name.
    if (FULL_ID.test(wanted)) {
      const ws = await this.ops.inspectOwned(wanted, username);
      if (ws) return ws;
    }
    const match = matchContainer(await this.ownContainers(username), wanted);
    if (!match.found) {
      if (match.ambiguous > 1) {
        throw new AppError(
          'BAD_REQUEST',
          `"${wanted}" is the start of ${match.ambiguous} of your workspaces' ids; give more of the id, or the name`,
        );
      }
      return null;
    }
    return this.ops.inspectOwned(match.found.Id, username);
  }
}

function actorOf(caller: WorkspaceCaller): Actor {
  return {
    userId: caller.userId,
    username: caller.username,
    ipAddress: caller.ipAddress,
    userAgent: caller.userAgent,
  };
}
