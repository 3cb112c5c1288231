// The WorkspaceService: lists, injects into and clears the caller's containers (owner label
// checked, every attempt audited), and follows Docker's events for auto-injection and token
// revocation. Routers call it; it throws AppError.
import type Docker from 'dockerode';
import { z } from 'zod';
import type { Config } from '../config';
import type { KeyRing } from '../crypto/keyring';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import {
  createSession,
  findUserByName,
  getSettings,
  listActiveInjections,
  listActiveInjectionsForWorkspace,
  listExpiredUserSessions,
  markInjectionsCleared,
  markSessionExpiredHandled,
  recordAudit,
  recordInjection,
  revokeSession,
  revokeWorkspaceSessions,
  type AuditAction,
  type AuditOutcome,
  type Store,
} from '../store';
import { gatherBundle } from './bundle';
import { buildPlan, type WorkspaceUser } from './content';
import { isEngineDown, mapDockerError, statusOf } from './docker';
import { DockerEventFollower, type ContainerEvent } from './events';
import { applyInjection, clearInjection, loadWorkspaceUser } from './injector';
import { parseManifest, type ManifestEntry } from './manifest';

export const OWNER_LABEL = 'xaresaicoder.owner';
export const USER_LABEL = 'xaresaicoder.user';
const DEFAULT_WORKSPACE_USER = 'coder';
const SWEEP_INTERVAL_MS = 15_000;
const SWEEP_BATCH = 100;
const PASSWD_CACHE_LIMIT = 256;

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

/** A container resolved and checked to belong to the caller. */
interface OwnedWorkspace {
  container: Docker.Container;
  id: string;
  name: string;
  running: boolean;
  startedAt: string;
  loginUser: string;
}

/** Who acts: a person through the API, or the service itself (auto-inject, sweeps). */
interface Actor {
  userId: string;
  username: string;
  ipAddress: string | null;
  userAgent: string | null;
}

const SYSTEM_AGENT = 'xares-credentials (docker events)';

export class WorkspaceService {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly passwdCache = new Map<string, WorkspaceUser>();
  private readonly events: DockerEventFollower;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: WorkspaceServiceDeps) {
    this.events = new DockerEventFollower(
      deps.docker,
      (e) => this.onContainerEvent(e),
      deps.logger,
    );
  }

  // --- API ------------------------------------------------------------------------------------

  async list(caller: WorkspaceCaller): Promise<WorkspaceSummary[]> {
    let containers: Docker.ContainerInfo[];
    try {
      containers = await this.deps.docker.listContainers({
        all: true,
        filters: { label: [`${OWNER_LABEL}=${caller.username}`] },
        abortSignal: AbortSignal.timeout(15_000),
      } as Docker.ContainerListOptions);
    } catch (e) {
      return mapDockerError(e);
    }
    const injections = await listActiveInjections(this.deps.store.db, caller.userId);
    const injectedAt = new Map<string, number>();
    for (const i of injections) {
      injectedAt.set(i.workspace_id, Math.max(injectedAt.get(i.workspace_id) ?? 0, i.injected_at));
    }
    return containers
      .filter((c) => c.Labels?.[OWNER_LABEL] === caller.username)
      .filter((c) => caller.sessionKind === 'user' || c.Id === caller.workspaceId)
      .map((c) => ({
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
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
    const files = await this.withLock(ws.id, () => this.injectOwned(actor, ws));
    return { injected: true, workspaceId: ws.id, files };
  }

  async clear(
    caller: WorkspaceCaller,
    workspaceId: string,
  ): Promise<{ cleared: true; files: string[] }> {
    if (caller.sessionKind === 'workspace') {
      await this.audit(actorOf(caller), 'clear', 'denied', workspaceId, 'workspace session');
      throw new AppError('FORBIDDEN', 'A workspace session cannot clear workspaces');
    }
    const ws = await this.resolveOwned(caller, workspaceId, 'clear');
    const files = await this.withLock(ws.id, () => this.clearOwned(actorOf(caller), ws));
    return { cleared: true, files };
  }

  /** Clears every workspace the user has injected into (credentials.clearAll). */
  async clearAllForUser(caller: WorkspaceCaller): Promise<{ workspacesCleared: number }> {
    return { workspacesCleared: await this.clearAllOf(actorOf(caller)) };
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
        const user = await this.userById(userId);
        if (!user) continue;
        await this.clearAllOf({
          ...user,
          ipAddress: null,
          userAgent: 'xares-credentials (session timeout)',
        });
      }
    } catch (e) {
      this.deps.logger.warn({ err: (e as Error).message }, 'session timeout sweep failed');
    }
  }

  private async userById(userId: string): Promise<{ userId: string; username: string } | null> {
    const row = await this.deps.store.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('id', '=', userId)
      .executeTakeFirst();
    return row ? { userId: row.id, username: row.username } : null;
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
    const owner = e.labels[OWNER_LABEL]!;
    const user = await findUserByName(this.deps.store.db, owner);
    if (!user || user.disabled) return;
    if (!(await getSettings(this.deps.store.db, user.id)).autoInject) return;
    const actor: Actor = {
      userId: user.id,
      username: user.username,
      ipAddress: null,
      userAgent: SYSTEM_AGENT,
    };
    const ws = await this.inspectOwned(e.id, owner);
    if (!ws || !ws.running) return;
    await this.withLock(ws.id, () => this.injectOwned(actor, ws));
    this.deps.logger.info({ workspaceId: ws.id, user: owner }, 'auto-injected a workspace');
  }

  /** The container is gone: its tokens die and its injections are closed. */
  private async onDestroyed(id: string): Promise<void> {
    const db = this.deps.store.db;
    const revoked = await revokeWorkspaceSessions(db, id);
    const rows = await listActiveInjectionsForWorkspace(db, id);
    for (const userId of new Set(rows.map((r) => r.user_id))) {
      await markInjectionsCleared(db, userId, id);
      const user = await this.userById(userId);
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
    this.passwdCache.forEach((_, k) => k.startsWith(`${id}@`) && this.passwdCache.delete(k));
    if (revoked > 0 || rows.length > 0) {
      this.deps.logger.info({ workspaceId: id, revoked }, 'workspace removed: tokens revoked');
    }
  }

  // --- internals ------------------------------------------------------------------------------

  private serviceUrl(): string {
    const { config, serviceUrl } = this.deps;
    if (config.publicUrl) return config.publicUrl;
    if (typeof serviceUrl === 'function') return serviceUrl();
    if (serviceUrl) return serviceUrl;
    const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
    const shown = host.includes(':') ? `[${host}]` : host;
    return `${config.tls ? 'https' : 'http'}://${shown}:${config.port}`;
  }

  private async audit(
    actor: Actor,
    action: AuditAction,
    outcome: AuditOutcome,
    workspaceId: string | null,
    detail: string | null = null,
  ): Promise<void> {
    await recordAudit(this.deps.store.db, {
      userId: actor.userId,
      username: actor.username,
      action,
      outcome,
      workspaceId,
      ipAddress: actor.ipAddress,
      userAgent: actor.userAgent,
      detail,
    });
  }

  /** Inspects a container; null when there is none by that id or name. */
  private async inspect(idOrName: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.deps.docker
        .getContainer(idOrName.replace(/^\//, ''))
        .inspect({ abortSignal: AbortSignal.timeout(15_000) } as Docker.ContainerInspectOptions);
    } catch (e) {
      if (!isEngineDown(e) && (statusOf(e) === 404 || statusOf(e) === 400)) return null;
      return mapDockerError(e);
    }
  }

  private async inspectOwned(idOrName: string, owner: string): Promise<OwnedWorkspace | null> {
    const info = await this.inspect(idOrName);
    if (!info || info.Config.Labels?.[OWNER_LABEL] !== owner) return null;
    return this.toOwned(info);
  }

  private toOwned(info: Docker.ContainerInspectInfo): OwnedWorkspace {
    return {
      container: this.deps.docker.getContainer(info.Id),
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      running: info.State.Running,
      startedAt: info.State.StartedAt,
      loginUser: info.Config.Labels?.[USER_LABEL] || DEFAULT_WORKSPACE_USER,
    };
  }

  /**
   * The caller's container by id, id prefix or name. Not found: NOT_FOUND. Someone else's, or
   * not the workspace a workspace session is bound to: FORBIDDEN, audited as denied.
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
    let info: Docker.ContainerInspectInfo | null;
    try {
      info = await this.inspect(workspaceId);
    } catch (e) {
      const detail = e instanceof AppError ? e.message : 'the workspace could not be looked up';
      await this.audit(actor, action, 'failure', shown, detail).catch(() => undefined);
      throw e;
    }
    const owner = info?.Config.Labels?.[OWNER_LABEL];
    if (!info || !owner) {
      await this.audit(actor, action, 'failure', shown, 'no such workspace');
      throw new AppError('NOT_FOUND', 'No such workspace');
    }
    if (owner !== caller.username) {
      await this.audit(actor, action, 'denied', info.Id, 'the workspace belongs to another user');
      throw new AppError('FORBIDDEN', 'This workspace belongs to another user');
    }
    if (caller.sessionKind === 'workspace' && caller.workspaceId !== info.Id) {
      await this.audit(
        actor,
        action,
        'denied',
        info.Id,
        'a workspace session acts only on its own workspace',
      );
      throw new AppError('FORBIDDEN', 'A workspace session can only inject its own workspace');
    }
    return this.toOwned(info);
  }

  /** Runs tasks on one container one at a time (a start event and a click may coincide). */
  private withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => this.locks.get(key) === tail && this.locks.delete(key));
    return next;
  }

  private async workspaceUser(ws: OwnedWorkspace): Promise<WorkspaceUser> {
    const key = `${ws.id}@${ws.startedAt}:${ws.loginUser}`;
    const cached = this.passwdCache.get(key);
    if (cached) return cached;
    const user = await loadWorkspaceUser(ws.container, ws.loginUser);
    if (this.passwdCache.size >= PASSWD_CACHE_LIMIT) {
      const oldest = this.passwdCache.keys().next().value;
      if (oldest !== undefined) this.passwdCache.delete(oldest);
    }
    this.passwdCache.set(key, user);
    return user;
  }

  /** The manifest of the active injection, with every field we stored (the store's type keeps three). */
  private async activeInjection(
    userId: string,
    workspaceId: string,
  ): Promise<{ manifest: ManifestEntry[]; sessionIds: string[] }> {
    const rows = await this.deps.store.db
      .selectFrom('workspace_injections')
      .select(['manifest', 'session_id'])
      .where('user_id', '=', userId)
      .where('workspace_id', '=', workspaceId)
      .where('cleared_at', 'is', null)
      .orderBy('injected_at', 'desc')
      .execute();
    return {
      manifest: parseManifest(rows[0]?.manifest),
      sessionIds: rows.map((r) => r.session_id).filter((s): s is string => s !== null),
    };
  }

  private async injectOwned(actor: Actor, ws: OwnedWorkspace): Promise<string[]> {
    const db = this.deps.store.db;
    let newSessionId: string | null = null;
    try {
      if (!ws.running)
        throw new AppError('CONFLICT', 'The workspace is not running; start it first');
      const [user, previous] = await Promise.all([
        this.workspaceUser(ws),
        this.activeInjection(actor.userId, ws.id),
      ]);
      // Keys and the new session are prepared while the container is looked at.
      const input = (async () => {
        const bundle = await gatherBundle(db, this.deps.keyring, this.deps.config, {
          userId: actor.userId,
          username: actor.username,
          workspaceId: ws.id,
          ipAddress: actor.ipAddress,
          userAgent: actor.userAgent,
        });
        const { token, session } = await createSession(db, {
          userId: actor.userId,
          kind: 'workspace',
          workspaceId: ws.id,
          timeoutSeconds: this.deps.config.sessionTimeoutSeconds,
          ipAddress: actor.ipAddress,
          userAgent: actor.userAgent,
        });
        newSessionId = session.id;
        return {
          username: actor.username,
          ...bundle,
          serviceUrl: this.serviceUrl(),
          workspaceToken: token,
        };
      })();
      const result = await applyInjection(
        { container: ws.container, user },
        input,
        (content, login) => buildPlan(content, user, login),
        previous.manifest,
        new Date(),
      );
      const sessionId = newSessionId as string | null;
      if (!sessionId) throw new Error('no workspace session was minted');
      await db.transaction().execute(async (tx) => {
        await markInjectionsCleared(tx, actor.userId, ws.id);
        await recordInjection(tx, {
          userId: actor.userId,
          workspaceId: ws.id,
          workspaceName: ws.name,
          sessionId,
          manifest: result.manifest,
        });
        for (const id of previous.sessionIds) await revokeSession(tx, actor.userId, id);
      });
      newSessionId = null;
      const kept = result.keptUserChanges.length
        ? `; kept the user's changes to ${result.keptUserChanges.join(', ')}`
        : '';
      await this.audit(actor, 'inject', 'success', ws.id, `${result.written.length} files${kept}`);
      return result.written;
    } catch (e) {
      if (newSessionId) await revokeSession(db, actor.userId, newSessionId).catch(() => undefined);
      const message = e instanceof AppError ? e.message : 'the injection failed';
      await this.audit(actor, 'inject', 'failure', ws.id, message).catch(() => undefined);
      if (!(e instanceof AppError)) {
        this.deps.logger.error(
          { err: (e as Error).message, workspaceId: ws.id },
          'injection failed',
        );
        throw new AppError('INTERNAL_SERVER_ERROR', 'The injection into the workspace failed', {
          cause: e,
        });
      }
      throw e;
    }
  }

  private async clearOwned(actor: Actor, ws: OwnedWorkspace): Promise<string[]> {
    const db = this.deps.store.db;
    try {
      // The token goes first: whatever happens to the files, the workspace loses its access.
      await revokeWorkspaceSessions(db, ws.id);
      const previous = await this.activeInjection(actor.userId, ws.id);
      let removed: string[] = [];
      if (previous.manifest.length > 0) {
        if (!ws.running) {
          throw new AppError(
            'CONFLICT',
            'The workspace is not running; its token was revoked, start it to remove its files',
          );
        }
        const user = await this.workspaceUser(ws);
        removed = (
          await clearInjection({ container: ws.container, user }, previous.manifest, new Date())
        ).removed;
      }
      await markInjectionsCleared(db, actor.userId, ws.id);
      await this.audit(actor, 'clear', 'success', ws.id, `${removed.length} files removed`);
      return removed;
    } catch (e) {
      const message = e instanceof AppError ? e.message : 'clearing the workspace failed';
      await this.audit(actor, 'clear', 'failure', ws.id, message).catch(() => undefined);
      if (!(e instanceof AppError)) {
        this.deps.logger.error({ err: (e as Error).message, workspaceId: ws.id }, 'clear failed');
        throw new AppError('INTERNAL_SERVER_ERROR', 'Clearing the workspace failed', { cause: e });
      }
      throw e;
    }
  }

  private async clearAllOf(actor: Actor): Promise<number> {
    const db = this.deps.store.db;
    const injections = await listActiveInjections(db, actor.userId);
    let cleared = 0;
    for (const workspaceId of new Set(injections.map((i) => i.workspace_id))) {
      const ws = await this.inspectOwned(workspaceId, actor.username).catch(() => null);
      if (!ws) {
        // Gone (or relabelled): nothing to remove in it, but its token must die.
        await revokeWorkspaceSessions(db, workspaceId);
        await markInjectionsCleared(db, actor.userId, workspaceId);
        await this.audit(actor, 'clear', 'success', workspaceId, 'the container no longer exists');
        cleared += 1;
        continue;
      }
      try {
        await this.withLock(ws.id, () => this.clearOwned(actor, ws));
        cleared += 1;
      } catch (e) {
        this.deps.logger.warn(
          { err: (e as Error).message, workspaceId },
          'clearing a workspace failed',
        );
      }
    }
    return cleared;
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
