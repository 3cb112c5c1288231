// What the WorkspaceService does to one container once the caller is known to own it: inject,
// clear, one task per container at a time, every outcome audited. Also finds containers and
// their owners; used by the API methods and by the background (events, session sweep).
import type Docker from 'dockerode';
import type { KeyRing } from '../crypto/keyring';
import { AppError } from '../errors';
import {
  createSession,
  revokeOtherGatewaySessions,
  revokeSession,
  revokeWorkspaceSessions,
} from '../accounts/sessions';
import { findUserById } from '../accounts/users';
import { getSettings } from '../store/settings';
import {
  listActiveInjections,
  listActiveManifests,
  markInjectionsCleared,
  recordInjection,
} from '../store/injections';
import { recordAudit } from '../audit/audit';
import type { AuditAction, AuditOutcome } from '../store/schema';
import { gatherBundle } from './bundle';
import { buildPlan } from './content';
import { ExecInterrupted } from './asUser';
import { isEngineDown, statusOf } from './docker';
import { hostsDown, type DockerHost } from './hosts';
import { applyInjection, clearInjection } from './injector';
import { parseManifest, type ManifestEntry } from './manifest';
import { OWNER_LABEL, containerName, isOwnedBy } from './ownership';
import type { WorkspaceServiceDeps } from './types';
import { inTransaction, isRetryable } from '../store/retry';
import { isUnavailable } from '../store/dialect';

export { OWNER_LABEL } from './ownership';
export const USER_LABEL = 'xaresaicoder.user';
const DEFAULT_WORKSPACE_USER = 'coder';
/** How long a container seen stopped is watched before the answer says so (confirmStopped). */
const STOPPED_CONFIRM_MS = 3_000;

/** A container resolved and checked to belong to the caller. */
export interface OwnedWorkspace {
  container: Docker.Container;
  /** The engine the container is on. */
  host: DockerHost;
  id: string;
  name: string;
  running: boolean;
  startedAt: string;
  loginUser: string;
}

/** What operations need: the key ring only to inject (`user disable` clears without the key). */
export type OperationsDeps = Omit<WorkspaceServiceDeps, 'keyring' | 'docker' | 'hosts'> & {
  keyring: KeyRing | null;
  hosts: readonly DockerHost[];
};

/** A container found on one of the engines. */
export interface Located {
  info: Docker.ContainerInspectInfo;
  host: DockerHost;
}

/** What clearAllOf did: cleared workspaces, and those whose files stay (their tokens are dead). */
export interface ClearAllOutcome {
  cleared: number;
  notCleared: Array<{ workspaceId: string; code: string; reason: string }>;
}

/** Who acts: a person through the API, or the service itself (auto-inject, sweeps). */
export interface Actor {
  userId: string;
  username: string;
  ipAddress: string | null;
  userAgent: string | null;
}

export class WorkspaceOperations {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: OperationsDeps) {}

  async userById(userId: string): Promise<{ userId: string; username: string } | null> {
    const row = await findUserById(this.deps.store.db, userId);
    return row ? { userId: row.id, username: row.username } : null;
  }

  serviceUrl(): string {
    const { config, serviceUrl } = this.deps;
    if (config.publicUrl) return config.publicUrl;
    if (typeof serviceUrl === 'function') return serviceUrl();
    if (serviceUrl) return serviceUrl;
    const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
    const shown = host.includes(':') ? `[${host}]` : host;
    return `${config.tls ? 'https' : 'http'}://${shown}:${config.port}`;
  }

  async audit(
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

  get hosts(): readonly DockerHost[] {
    return this.deps.hosts;
  }

  /** Inspects a container on one engine; null when it has none by that id or name. */
  async inspectOn(host: DockerHost, idOrName: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await host.docker
        .getContainer(idOrName.replace(/^\//, ''))
        .inspect({ abortSignal: AbortSignal.timeout(15_000) } as Docker.ContainerInspectOptions);
    } catch (e) {
      if (!isEngineDown(e) && (statusOf(e) === 404 || statusOf(e) === 400)) return null;
      if (isEngineDown(e)) throw hostsDown([host.name], e);
      throw e;
    }
  }

  /**
   * Finds a container by full id: on the host the injection record names when it is one of
   * ours, else on every host at once. Null when no host has it; when none of those that answer
   * has it and some did not answer, SERVICE_UNAVAILABLE naming them (it may be there).
   */
  async inspect(id: string, recordedHost?: string | null): Promise<Located | null> {
    const known = this.deps.hosts.find((h) => h.name === recordedHost);
    const hosts = known ? [known] : this.deps.hosts;
    const answers = await Promise.allSettled(hosts.map((h) => this.inspectOn(h, id)));
    const down: string[] = [];
    let failure: unknown;
    for (const [i, a] of answers.entries()) {
      const host = hosts[i] as DockerHost;
      if (a.status === 'fulfilled') {
        if (a.value && a.value.Id === id) return { info: a.value, host };
      } else if (a.reason instanceof AppError && a.reason.code === 'SERVICE_UNAVAILABLE') {
        down.push(host.name);
      } else failure ??= a.reason;
    }
    if (failure !== undefined) throw failure;
    if (down.length > 0) throw hostsDown(down);
    return null;
  }

  /** The container with exactly this full id, when it is `owner`'s; else null. */
  async inspectOwned(id: string, owner: string): Promise<OwnedWorkspace | null> {
    const found = await this.inspect(id);
    // A name may look like an id: only the container with this very id counts.
    if (!found || !this.owns(found.info, owner)) return null;
    return this.toOwned(found);
  }

  /**
   * A container this user injected into, for clearing: the record of our injection is the proof,
   * so a signature that stopped matching (a label secret set since, a rename) does not keep our
   * files in it. Labels cannot change, so the owner label still says who it was injected for.
   */
  private async inspectInjected(
    id: string,
    owner: string,
    recordedHost: string | null,
  ): Promise<OwnedWorkspace | null> {
    const found = await this.inspect(id, recordedHost);
    if (!found || found.info.Config.Labels?.[OWNER_LABEL] !== owner) return null;
    return this.toOwned(found);
  }

  /** The owner label is `username` (and, with a label secret, signed for this name). */
  owns(info: Docker.ContainerInspectInfo, username: string): boolean {
    const secret = this.deps.config.workspaceLabelSecret;
    return isOwnedBy(info.Config.Labels, containerName(info.Name), username, secret);
  }

  toOwned({ info, host }: Located): OwnedWorkspace {
    return {
      container: host.docker.getContainer(info.Id),
      host,
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      running: info.State.Running,
      startedAt: info.State.StartedAt,
      loginUser: info.Config.Labels?.[USER_LABEL] || DEFAULT_WORKSPACE_USER,
    };
  }

  /**
   * A workspace seen not running, looked at again before the answer says so. While its engine
   * shuts down (a restart), containers stop a moment before the engine stops answering, and
   * "not running, start it first" would be a final answer for what is an outage. So the
   * container is watched for up to STOPPED_CONFIRM_MS: an engine that stops answering is
   * SERVICE_UNAVAILABLE (retryable), a container running again (restarted by its restart policy)
   * is returned, one still restarting is SERVICE_UNAVAILABLE, and only one still stopped on an
   * engine that answers is CONFLICT with `stoppedMessage`.
   */
  async confirmStopped(ws: OwnedWorkspace, stoppedMessage: string): Promise<OwnedWorkspace> {
    const until = Date.now() + STOPPED_CONFIRM_MS;
    let restarting = false;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const info = await this.inspectOn(ws.host, ws.id);
      if (!info) throw new AppError('NOT_FOUND', 'The workspace no longer exists');
      if (info.State.Running && !info.State.Restarting)
        return this.toOwned({ info, host: ws.host });
      restarting = info.State.Restarting;
      if (Date.now() >= until) break;
    }
    if (restarting) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The workspace is restarting; try again shortly', {
        retryAfterSeconds: 2,
      });
    }
    throw new AppError('CONFLICT', stoppedMessage);
  }

  /**
   * An unexpected failure of an injection or a clear: an outage of the database or of the
   * workspace's engine is SERVICE_UNAVAILABLE (the same call may be sent again). The engine's
   * CONFLICT (the container stopped in the middle, as an engine restart stops it) is looked at
   * as confirmStopped does: gone engine or a container running again is SERVICE_UNAVAILABLE,
   * one still stopped CONFLICT with `stoppedMessage`. Anything else is an internal error.
   */
  private async failure(
    ws: OwnedWorkspace,
    e: unknown,
    message: string,
    stoppedMessage: string,
  ): Promise<AppError> {
    if (isEngineDown(e)) return hostsDown([ws.host.name], e);
    if (isUnavailable(e)) {
      return new AppError(
        'SERVICE_UNAVAILABLE',
        'The database is not reachable; try again shortly',
        {
          cause: e,
        },
      );
    }
    // Docker says it with 409 for an exec, 500 for some other calls ("container not running").
    const stopped = /\bnot running\b|\bis restarting\b|\bis paused\b/i.test(
      String((e as Error)?.message),
    );
    if (statusOf(e) === 409 || stopped) {
      try {
        await this.confirmStopped(ws, stoppedMessage);
        return new AppError(
          'SERVICE_UNAVAILABLE',
          'The workspace restarted during the request; try again',
          { cause: e, retryAfterSeconds: 1 },
        );
      } catch (seen) {
        if (seen instanceof AppError) return seen;
      }
    }
    if (e instanceof ExecInterrupted) {
      // Stopped meanwhile: CONFLICT as above; still running: the engine or the workspace ended
      // the command, and the same call may be sent again.
      try {
        await this.confirmStopped(ws, stoppedMessage);
      } catch (seen) {
        if (seen instanceof AppError) return seen;
      }
      return new AppError(
        'SERVICE_UNAVAILABLE',
        'The workspace ended the command before it finished; try again',
        { cause: e, retryAfterSeconds: 1 },
      );
    }
    return new AppError('INTERNAL_SERVER_ERROR', message, { cause: e });
  }

  /** Runs tasks on one container one at a time (a start event and a click may coincide). */
  withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => this.locks.get(key) === tail && this.locks.delete(key));
    return next;
  }

  /** The manifest of the active injection, with every field we stored (the store's type keeps three). */
  async activeInjection(
    userId: string,
    workspaceId: string,
  ): Promise<{ manifest: ManifestEntry[]; sessionIds: string[] }> {
    const rows = await listActiveManifests(this.deps.store.db, userId, workspaceId);
    return {
      manifest: parseManifest(rows[0]?.manifest),
      sessionIds: rows.map((r) => r.sessionId).filter((s): s is string => s !== null),
    };
  }

  /** Injects; answers the files written and a note per dotfile left alone (with why). */
  async injectOwned(
    actor: Actor,
    ws: OwnedWorkspace,
  ): Promise<{ files: string[]; notes: string[] }> {
    const db = this.deps.store.db;
    let newSessionId: string | null = null;
    let newGatewayId: string | null = null;
    try {
      if (!ws.running) {
        ws = await this.confirmStopped(ws, 'The workspace is not running; start it first');
      }
      const previous = await this.activeInjection(actor.userId, ws.id);
      // Keys and the new session are prepared while the exec in the container starts.
      const input = (async () => {
        const { aiKeyDelivery } = await getSettings(db, actor.userId);
        const bundle = await gatherBundle(
          db,
          this.keyring(),
          this.deps.config,
          {
            userId: actor.userId,
            username: actor.username,
            workspaceId: ws.id,
            ipAddress: actor.ipAddress,
            userAgent: actor.userAgent,
          },
          {
            delivery: aiKeyDelivery,
            gatewayUrl: `${this.serviceUrl()}/ai`,
            // The AI gateway's token: a session kind of its own, bound to this container.
            mintGatewayToken: async () => {
              const minted = await createSession(db, {
                userId: actor.userId,
                kind: 'gateway',
                workspaceId: ws.id,
                timeoutSeconds: this.deps.config.sessionTimeoutSeconds,
                ipAddress: actor.ipAddress,
                userAgent: actor.userAgent,
              });
              newGatewayId = minted.session.id;
              return minted.token;
            },
          },
        );
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
        { container: ws.container, loginUser: ws.loginUser },
        input,
        (content, login, found) => buildPlan(content, found, login),
        previous.manifest,
        new Date(),
      );
      const sessionId = newSessionId as string | null;
      if (!sessionId) throw new Error('no workspace session was minted');
      const kept = result.keptUserChanges.length
        ? `; kept the user's changes to ${result.keptUserChanges.join(', ')}`
        : '';
      // Dotfiles left alone (a link to outside the home, ...) are said in the audit trail too.
      const notes = result.notes.length ? `; ${result.notes.join('; ')}` : '';
      // One commit: the record, the old tokens' end and the audit row of the success together.
      await inTransaction(db, async (tx) => {
        await markInjectionsCleared(tx, actor.userId, ws.id);
        await recordInjection(tx, {
          userId: actor.userId,
          workspaceId: ws.id,
          workspaceName: ws.name,
          sessionId,
          manifest: result.manifest,
          dockerHost: ws.host.name,
        });
        for (const id of previous.sessionIds) await revokeSession(tx, actor.userId, id);
        // The previous injection's gateway token goes with it (all of them in environment mode).
        await revokeOtherGatewaySessions(tx, ws.id, (newGatewayId as string | null) ?? '');
        await recordAudit(tx, {
          userId: actor.userId,
          username: actor.username,
          action: 'inject',
          outcome: 'success',
          workspaceId: ws.id,
          ipAddress: actor.ipAddress,
          userAgent: actor.userAgent,
          detail: `${result.written.length} files${kept}${notes}`,
        }).catch((err: unknown) => {
          // A Galera conflict stays what it is, so the transaction is replayed whole.
          throw err instanceof AppError && isRetryable(err.cause) ? err.cause : err;
        });
      });
      newSessionId = null;
      newGatewayId = null;
      return { files: result.written, notes: result.notes };
    } catch (e) {
      if (newSessionId) await revokeSession(db, actor.userId, newSessionId).catch(() => undefined);
      const gatewayId = newGatewayId as string | null;
      if (gatewayId) await revokeSession(db, actor.userId, gatewayId).catch(() => undefined);
      const message = e instanceof AppError ? e.message : 'the injection failed';
      await this.audit(actor, 'inject', 'failure', ws.id, message).catch(() => undefined);
      if (!(e instanceof AppError)) {
        const failure = await this.failure(
          ws,
          e,
          'The injection into the workspace failed',
          'The workspace stopped during the injection; start it and inject again',
        );
        const level = failure.code === 'SERVICE_UNAVAILABLE' ? 'warn' : 'error';
        this.deps.logger[level](
          { err: (e as Error).message, workspaceId: ws.id },
          'injection failed',
        );
        throw failure;
      }
      throw e;
    }
  }

  async clearOwned(actor: Actor, ws: OwnedWorkspace): Promise<string[]> {
    const db = this.deps.store.db;
    try {
      // The token goes first: whatever happens to the files, the workspace loses its access.
      await revokeWorkspaceSessions(db, ws.id);
      const previous = await this.activeInjection(actor.userId, ws.id);
      let removed: string[] = [];
      if (previous.manifest.length > 0) {
        if (!ws.running) {
          ws = await this.confirmStopped(
            ws,
            'The workspace is not running; its token was revoked, start it to remove its files',
          );
        }
        const source = { container: ws.container, loginUser: ws.loginUser };
        removed = (await clearInjection(source, previous.manifest, new Date())).removed;
      }
      await markInjectionsCleared(db, actor.userId, ws.id);
      await this.audit(actor, 'clear', 'success', ws.id, `${removed.length} files removed`);
      return removed;
    } catch (e) {
      const message = e instanceof AppError ? e.message : 'clearing the workspace failed';
      await this.audit(actor, 'clear', 'failure', ws.id, message).catch(() => undefined);
      if (!(e instanceof AppError)) {
        const failure = await this.failure(
          ws,
          e,
          'Clearing the workspace failed',
          'The workspace stopped while it was cleared; its token was revoked, start it to remove its files',
        );
        const level = failure.code === 'SERVICE_UNAVAILABLE' ? 'warn' : 'error';
        this.deps.logger[level]({ err: (e as Error).message, workspaceId: ws.id }, 'clear failed');
        throw failure;
      }
      throw e;
    }
  }

  async clearAllOf(actor: Actor): Promise<ClearAllOutcome> {
    const db = this.deps.store.db;
    const injections = await listActiveInjections(db, actor.userId);
    let cleared = 0;
    const notCleared: ClearAllOutcome['notCleared'] = [];
    const failed = (workspaceId: string, e: unknown) => {
      const known = e instanceof AppError;
      notCleared.push({
        workspaceId,
        code: known ? e.code : 'INTERNAL_SERVER_ERROR',
        reason: known ? e.message : 'clearing the workspace failed',
      });
      this.deps.logger.warn(
        { err: (e as Error).message, workspaceId },
        'clearing a workspace failed',
      );
    };
    const hostOf = new Map(injections.map((i) => [i.workspace_id, i.docker_host]));
    for (const [workspaceId, recordedHost] of hostOf) {
      let ws: OwnedWorkspace | null;
      try {
        ws = await this.inspectInjected(workspaceId, actor.username, recordedHost ?? null);
      } catch (e) {
        // The engine did not answer: the token dies now; the files wait for a clear that can
        // reach them, so the injection stays open.
        await revokeWorkspaceSessions(db, workspaceId);
        await this.audit(actor, 'clear', 'failure', workspaceId, errorText(e)).catch(() => {});
        failed(workspaceId, e);
        continue;
      }
      if (!ws) {
        // Gone (or relabelled): nothing to remove in it, but its token must die.
        await revokeWorkspaceSessions(db, workspaceId);
        await markInjectionsCleared(db, actor.userId, workspaceId);
        await this.audit(actor, 'clear', 'success', workspaceId, 'the container no longer exists');
        cleared += 1;
        continue;
      }
      const owned = ws;
      try {
        await this.withLock(owned.id, () => this.clearOwned(actor, owned));
        cleared += 1;
      } catch (e) {
        failed(workspaceId, e);
      }
    }
    return { cleared, notCleared };
  }

  private keyring(): KeyRing {
    if (!this.deps.keyring) throw new Error('injecting needs the master key, which was not given');
    return this.deps.keyring;
  }
}

function errorText(e: unknown): string {
  return e instanceof AppError ? e.message : 'the workspace could not be looked up';
}
