// The WorkspaceService: lists, injects into and clears the caller's containers (ownership as
// ownership.ts decides it, ids resolved only among the caller's own containers, every attempt
// audited), and follows Docker's events for auto-injection and token revocation. It serves the
// workspaces of every engine in CREDENTIAL_DOCKER_HOSTS: lists merge them, an id is looked for
// on all, each engine's events are followed on their own, and an engine that is down makes only
// its own workspaces unavailable. Routers call it; it throws AppError.
import type Docker from 'dockerode';
import { WorkspaceIdSchema } from '../api/workspaces';
import { AppError } from '../errors';
import { findUserByName } from '../accounts/users';
import { getSettings } from '../store/settings';
import {
  listActiveInjections,
  listActiveInjectionsForWorkspace,
  listActiveWorkspacesOnHost,
  markInjectionsCleared,
} from '../store/injections';
import {
  listExpiredUserSessions,
  markSessionExpiredHandled,
  revokeWorkspaceSessions,
} from '../accounts/sessions';
import { recordAudit } from '../audit/audit';
import { DockerEventFollower, type ContainerEvent } from './events';
import { createDockerHosts, hostStates, hostsDown, type DockerHost, type HostState } from './hosts';
import { WorkspaceOperations, type Actor, type OwnedWorkspace } from './operations';
import {
  OWNER_LABEL,
  OWNER_SIG_LABEL,
  containerName,
  listOwnedContainers,
  matchContainer,
} from './ownership';
import type { WorkspacePort } from '../domain/deps';
import type {
  ClearResult,
  InjectResult,
  WorkspaceCaller,
  WorkspaceServiceDeps,
  WorkspaceSummary,
} from './types';

export { OWNER_LABEL, USER_LABEL } from './operations';
const SWEEP_INTERVAL_MS = 15_000;
const SWEEP_BATCH = 100;
const RECONCILE_LIMIT = 1000;

const SYSTEM_AGENT = 'xares-credentials (docker events)';
const FULL_ID = /^[0-9a-f]{64}$/;

/** The engines of the deps: given, one client named as the first configured host, or built. */
export function hostsOf(deps: Pick<WorkspaceServiceDeps, 'hosts' | 'docker' | 'config'>) {
  if (deps.hosts) return deps.hosts;
  if (deps.docker) {
    return [{ name: deps.config.dockerHosts[0]?.name ?? 'docker', docker: deps.docker }];
  }
  return createDockerHosts(deps.config);
}

export class WorkspaceService implements WorkspacePort {
  private readonly ops: WorkspaceOperations;
  private readonly events: DockerEventFollower[];
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: WorkspaceServiceDeps) {
    this.ops = new WorkspaceOperations({ ...deps, hosts: hostsOf(deps) });
    // Each engine's stream reconnects on its own; one that is down holds up no other.
    this.events = this.ops.hosts.map(
      (host) =>
        new DockerEventFollower(
          host.docker,
          (e) => this.onContainerEvent(host, e),
          deps.logger.child({ dockerHost: host.name }),
          () => this.track(this.revokeRemovedWorkspaces(host)),
        ),
    );
  }

  // --- API ------------------------------------------------------------------------------------

  /**
   * The caller's workspaces on every engine. An engine that does not answer leaves out only its
   * own containers, except those we injected into, which are listed from the record with the
   * state "unreachable"; when no engine answers, SERVICE_UNAVAILABLE naming them.
   */
  async list(caller: WorkspaceCaller): Promise<WorkspaceSummary[]> {
    const { containers, down } = await this.ownContainersEverywhere(caller.username);
    const injections = await listActiveInjections(this.deps.store.db, caller.userId);
    const injectedAt = new Map<string, number>();
    for (const i of injections) {
      injectedAt.set(i.workspace_id, Math.max(injectedAt.get(i.workspace_id) ?? 0, i.injected_at));
    }
    const at = (id: string) =>
      injectedAt.has(id) ? new Date(injectedAt.get(id)!).toISOString() : null;
    const listed: WorkspaceSummary[] = containers.map(({ info: c }) => ({
      id: c.Id,
      name: containerName(c.Names) ?? c.Id.slice(0, 12),
      state: c.State,
      injectedAt: at(c.Id),
    }));
    const seen = new Set(listed.map((w) => w.id));
    for (const i of injections) {
      if (seen.has(i.workspace_id) || !i.docker_host || !down.includes(i.docker_host)) continue;
      seen.add(i.workspace_id);
      listed.push({
        id: i.workspace_id,
        name: i.workspace_name,
        state: 'unreachable',
        injectedAt: at(i.workspace_id),
      });
    }
    return listed.filter((w) => caller.sessionKind === 'user' || w.id === caller.workspaceId);
  }

  async inject(caller: WorkspaceCaller, workspaceId: string): Promise<InjectResult> {
    const actor = actorOf(caller);
    const ws = await this.resolveOwned(caller, workspaceId, 'inject');
    const { files, notes } = await this.ops.withLock(ws.id, () => this.ops.injectOwned(actor, ws));
    // A dotfile left alone (a link to outside the home, another user's file) is said here too.
    return { injected: true, workspaceId: ws.id, files, ...(notes.length > 0 ? { notes } : {}) };
  }

  async clear(caller: WorkspaceCaller, workspaceId: string): Promise<ClearResult> {
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

  /** Follows every engine's events and starts the clear-on-session-timeout sweep. */
  start(): void {
    for (const follower of this.events) follower.start();
    if (!this.sweepTimer) {
      this.sweepTimer = setInterval(() => void this.sweepExpiredSessions(), SWEEP_INTERVAL_MS);
      this.sweepTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await Promise.all(this.events.map((f) => f.stop()));
    await this.sweeping;
    await Promise.allSettled([...this.pending]);
  }

  /** True while every engine's event stream is connected. */
  get following(): boolean {
    return this.events.every((f) => f.connected);
  }

  /** Whether the event stream of the engine named `host` is connected. */
  followingHost(host: string): boolean {
    const i = this.ops.hosts.findIndex((h) => h.name === host);
    return i >= 0 && (this.events[i]?.connected ?? false);
  }

  /** Each engine's state, for /readyz. */
  hostStates(): Promise<HostState[]> {
    return hostStates(this.ops.hosts);
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
   * Containers removed from `host` while the service was not watching (down, or the engine
   * restarting): their injections are closed and their tokens revoked as if the destroy event
   * had come. Only this engine's records are checked (another engine may be down, which does not
   * mean its containers are gone); records older than the host column, or of an engine no longer
   * listed, are looked for everywhere.
   */
  private async revokeRemovedWorkspaces(host: DockerHost): Promise<void> {
    // Also records of an engine no longer configured: looked for on every engine.
    const rows = await listActiveWorkspacesOnHost(
      this.deps.store.db,
      host.name,
      this.ops.hosts.map((h) => h.name),
      RECONCILE_LIMIT,
    );
    for (const { workspace_id: id, docker_host: recorded } of rows) {
      try {
        const gone =
          recorded === host.name
            ? (await this.ops.inspectOn(host, id)) === null
            : (await this.ops.inspect(id)) === null;
        if (gone) await this.onDestroyed(id);
      } catch (e) {
        // An engine stopped answering meanwhile: its reconnect will check again.
        this.deps.logger.warn(
          { err: (e as Error).message, workspaceId: id },
          'could not check whether a workspace still exists',
        );
      }
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

  private onContainerEvent(host: DockerHost, e: ContainerEvent): void {
    const task = (async () => {
      if (e.action === 'destroy') await this.onDestroyed(e.id);
      else if (e.action === 'start' && e.labels[OWNER_LABEL]) await this.autoInject(host, e);
    })().catch((err: unknown) => {
      this.deps.logger.warn(
        { err: (err as Error).message, workspaceId: e.id, action: e.action, dockerHost: host.name },
        'handling a container event failed',
      );
    });
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  private async autoInject(host: DockerHost, e: ContainerEvent): Promise<void> {
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
    // The event came from this engine: the container is looked at there only.
    const info = await this.ops.inspectOn(host, e.id);
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
    const ws = this.ops.toOwned({ info, host });
    await this.ops.withLock(ws.id, () => this.ops.injectOwned(actor, ws));
    this.deps.logger.info(
      { workspaceId: ws.id, user: owner, dockerHost: host.name },
      'auto-injected a workspace',
    );
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
    if (revoked > 0 || rows.length > 0) {
      this.deps.logger.info({ workspaceId: id, revoked }, 'workspace removed: tokens revoked');
    }
  }

  // --- access ---------------------------------------------------------------------------------

  /**
   * The caller's containers on every engine (owner label, and signature when a label secret is
   * set), with the engines that did not answer; when none answers, SERVICE_UNAVAILABLE.
   */
  private async ownContainersEverywhere(username: string): Promise<{
    containers: Array<{ info: Docker.ContainerInfo; host: DockerHost }>;
    down: string[];
  }> {
    const secret = this.deps.config.workspaceLabelSecret;
    const hosts = this.ops.hosts;
    const answers = await Promise.allSettled(
      hosts.map((h) => listOwnedContainers(h.docker, username, secret)),
    );
    const containers: Array<{ info: Docker.ContainerInfo; host: DockerHost }> = [];
    const down: string[] = [];
    for (const [i, a] of answers.entries()) {
      const host = hosts[i] as DockerHost;
      if (a.status === 'fulfilled') for (const info of a.value) containers.push({ info, host });
      else if (a.reason instanceof AppError && a.reason.code === 'SERVICE_UNAVAILABLE') {
        down.push(host.name);
      } else throw a.reason;
    }
    if (down.length === hosts.length) throw hostsDown(down);
    return { containers, down };
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
    // Docker writes names with a leading slash (`/alice-ws`); the contract's rule is for the rest.
    const wanted = workspaceId.replace(/^\//, '');
    if (!WorkspaceIdSchema.safeParse(wanted).success) {
      throw new AppError('BAD_REQUEST', 'workspaceId is not a valid container id or name');
    }
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
    // Its own container is looked for by id on every engine (one of them down and it not found
    // elsewhere: SERVICE_UNAVAILABLE); `wanted` may name it by an id prefix or by its name.
    const names = own.startsWith(wanted);
    const mine = await this.ops.inspect(own).catch((e: unknown) => {
      // Its engine down and `wanted` is no prefix of its id: FORBIDDEN as ever, not 503.
      if (!names && e instanceof AppError && e.code === 'SERVICE_UNAVAILABLE') return null;
      throw e;
    });
    if (!names && !(mine !== null && containerName(mine.info.Name) === wanted)) return undefined;
    return mine && this.ops.owns(mine.info, caller.username) ? this.ops.toOwned(mine) : null;
  }

  /**
   * The one of the user's containers on any engine that `wanted` names, or null. Not found
   * while an engine is down: SERVICE_UNAVAILABLE naming it, since the workspace may be there.
   */
  private async amongOwn(username: string, wanted: string): Promise<OwnedWorkspace | null> {
    // The common case, a full id, needs no listing: the engine finds a full id before a name.
    if (FULL_ID.test(wanted)) {
      const ws = await this.ops.inspectOwned(wanted, username).catch((e: unknown) => {
        // An engine down: the listing below still finds it among those that answer.
        if (e instanceof AppError && e.code === 'SERVICE_UNAVAILABLE') return null;
        throw e;
      });
      if (ws) return ws;
    }
    const { containers, down } = await this.ownContainersEverywhere(username);
    // A name is unique on one engine only: the same name on two hosts must not pick one silently.
    const named = containers.filter((c) => containerName(c.info.Names) === wanted).length;
    if (named > 1 && !containers.some((c) => c.info.Id === wanted)) {
      throw new AppError(
        'BAD_REQUEST',
        `${named} of your workspaces on different Docker hosts are named "${wanted}"; give the id`,
      );
    }
    const match = matchContainer(
      containers.map((c) => ({ ...c, Id: c.info.Id, Names: c.info.Names })),
      wanted,
    );
    if (!match.found) {
      if (match.ambiguous > 1) {
        throw new AppError(
          'BAD_REQUEST',
          `"${wanted}" is the start of ${match.ambiguous} of your workspaces' ids; give more of the id, or the name`,
        );
      }
      if (down.length > 0) throw hostsDown(down);
      return null;
    }
    const found = await this.ops.inspectOn(match.found.host, match.found.Id);
    if (!found || found.Id !== match.found.Id || !this.ops.owns(found, username)) return null;
    return this.ops.toOwned({ info: found, host: match.found.host });
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
