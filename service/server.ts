// Assembles and runs the service: opens and migrates the database, resolves and verifies the
// master key, starts the HTTP(S) server, the workspace service (when Docker answers) and the
// audit retention timer; close() undoes all of it in reverse order.
import Docker from 'dockerode';
import { sql } from 'kysely';
import { type Config, loadConfig } from './config';
import { KeyRing } from './crypto/keyring';
import { resolveMasterKey, verifyMasterKey } from './crypto/masterKey';
import type { DockerState, HealthChecks, ServiceDeps } from './domain/deps';
import { createHttpApp } from './http/app';
import { listen } from './http/listen';
import { createLogger, type Logger } from './logger';
import { openStore, type Store } from './store/database';
import { migrateToLatest } from './store/migrations';

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

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** dockerode options for DOCKER_HOST (unix://PATH or tcp://HOST:PORT; the local socket if unset). */
export function dockerFor(dockerHost: string | undefined): Docker {
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
  if (dockerHost.startsWith('unix://')) {
    return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  }
  const url = new URL(dockerHost);
  return new Docker({
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}

async function dockerState(docker: Docker): Promise<DockerState> {
  try {
    await withTimeout(docker.ping(), CHECK_TIMEOUT_MS, 'Docker');
    return { state: 'available', detail: 'Docker answers' };
  } catch {
    return { state: 'unavailable', detail: 'Docker does not answer: injection is unavailable' };
  }
}

export async function createService(options: ServiceOptions = {}): Promise<RunningService> {
  const config = options.config ?? loadConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger();
  const store = await openStore(config.databaseUrl);
  const cleanups: Array<() => Promise<void> | void> = [() => store.close()];
  const undo = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  };
  try {
    const applied = await migrateToLatest(store.db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    const master = resolveMasterKey(config);
    if (master.createdFile) {
      logger.warn(
        { keyFile: master.createdFile },
        'created a new master key file next to the database: back it up, without it the stored secrets cannot be read',
      );
    }
    await verifyMasterKey(store.db, master.key);
    const keyring = KeyRing.forStore(store, master.key);

    const docker = dockerFor(config.dockerHost);
    const health: HealthChecks = {
      database: async () => {
        await withTimeout(sql`select 1`.execute(store.db), CHECK_TIMEOUT_MS, 'the database');
      },
      docker: () => dockerState(docker),
    };
    const deps: ServiceDeps = { config, logger, health };

    const server = await listen(createHttpApp(deps), {
      host: config.host,
      port: config.port,
      tls: config.tls,
    });
    cleanups.push(() => server.close(options.shutdownGraceMs));
    logger.info({ url: server.url }, 'listening');

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
