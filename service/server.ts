// Assembles and runs the service: opens and migrates the database, resolves and verifies the
// master key (bootstrap.ts, shared with the CLI), starts the HTTP(S) server, the workspace
// service (when Docker answers) and the audit retention timer; close() undoes all of it in
// reverse order.
import { sql } from 'kysely';
import { type Config, loadConfig } from './config';
import { openServiceCore } from './bootstrap';
import type { KeyRing } from './crypto/keyring';
import type { DockerState, HealthChecks, ServiceDeps } from './domain/deps';
import { createHttpApp } from './http/app';
import { summarizeDocker } from './http/health';
import { listen } from './http/listen';
import { createLogger, type Logger } from './logger';
import { purgeSessions } from './accounts/sessions';
import { purgeAudit } from './audit/audit';
import { purgeFlows } from './store/oauthFlows';
import type { Store } from './store';
import { hostStates, WorkspaceService, type DockerHost } from './workspaces';

export interface ServiceOptions {
  config?: Config;
  /** Read when no config is given (process.env by default). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** How long shutdown waits for requests in flight (default 10 s). */
  shutdownGraceMs?: number;
}

export interface RunningService {
  url: string;
  port: number;
  store: Store;
  keyring: KeyRing;
  deps: ServiceDeps;
  /** Stops accepting, finishes requests in flight, stops background work, closes the database. */
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;
const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
const DOCKER_RETRY_MS = 30_000;
/** Revoked and expired sessions are kept a day for investigation, then deleted. */
const SESSION_KEEP_MS = 24 * 3600 * 1000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function dockerState(hosts: readonly DockerHost[]): Promise<DockerState> {
  return summarizeDocker(await hostStates(hosts));
}

/**
 * Starts the workspace service's background work (Docker events, sweeps) once an engine
 * answers, retrying while none does; API calls meanwhile answer SERVICE_UNAVAILABLE. Engines
 * that are down then are followed as soon as they answer (each event stream reconnects on its
 * own). Returns its stop.
 */
function startWorkspacesWhenDockerAnswers(
  workspaces: WorkspaceService,
  docker: readonly DockerHost[],
  logger: Logger,
): () => Promise<void> {
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async () => {
    const state = await dockerState(docker);
    if (stopped) return;
    if (state.state !== 'unavailable') {
      workspaces.start();
      started = true;
      logger.info('Docker answers: workspace injection is available');
      return;
    }
    logger.warn('Docker does not answer: injection is unavailable until it does');
    timer = setTimeout(() => void attempt(), DOCKER_RETRY_MS);
    timer.unref();
  };
  const first = attempt();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await first;
    if (started) await workspaces.stop();
  };
}

/** Audit retention (CREDENTIAL_AUDIT_RETENTION_DAYS), old sessions and device sign-ins, now and every hour. */
function startMaintenance(store: Store, config: Config, logger: Logger): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = (async () => {
      try {
        const audit = await purgeAudit(store.db, config.auditRetentionDays);
        const sessions = await purgeSessions(store.db, Date.now() - SESSION_KEEP_MS);
        const oauthFlows = await purgeFlows(store.db);
        if (audit + sessions + oauthFlows > 0) {
          logger.info({ audit, sessions, oauthFlows }, 'purged old rows');
        }
      } catch (err) {
        logger.error({ err }, 'purging old rows failed');
      }
    })();
  };
  run();
  const timer = setInterval(run, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

export async function createService(options: ServiceOptions = {}): Promise<RunningService> {
  const config = options.config ?? loadConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger();
  // The key first (a missing or malformed key stops start-up before the database is touched),
  // then the store, migrated and checked against the key; bootstrap.ts, shared with the CLI.
  const { store, keyring, docker } = await openServiceCore(config, logger);
  const cleanups: Array<() => Promise<void> | void> = [() => store.close()];
  const undo = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  };
  try {
    const health: HealthChecks = {
      database: async () => {
        await withTimeout(sql`select 1`.execute(store.db), CHECK_TIMEOUT_MS, 'the database');
      },
      docker: () => dockerState(docker),
    };
    let serviceUrl = '';
    const workspaces = new WorkspaceService({
      store,
      keyring,
      hosts: docker,
      config,
      logger,
      serviceUrl: () => serviceUrl,
    });
    const deps: ServiceDeps = { config, logger, health, store, keyring, workspaces };

    const server = await listen(createHttpApp(deps), {
      host: config.host,
      port: config.port,
      tls: config.tls,
    });
    serviceUrl = server.url;
    logger.info({ url: server.url }, 'listening');
    cleanups.push(startWorkspacesWhenDockerAnswers(workspaces, docker, logger));
    cleanups.push(startMaintenance(store, config, logger));
    // Cleanups run last-in first: the server stops first (requests in flight finish), then the
    // background work, then the database closes.
    cleanups.push(() => server.close(options.shutdownGraceMs));

    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      store,
      keyring,
      deps,
      close() {
        closing ??= undo();
        return closing;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
