// The whole service on a random loopback port with a fresh database, for tests over real HTTP:
//
//   const svc = await startTestService({ dialect: 'sqlite', env: fake.env });
//   await svc.createUser('alice', 'pw-alice-123', 'admin');
//   const token = await svc.login('alice', 'pw-alice-123');
//   await svc.trpc(token).tokens.list.query();
//   await svc.request('GET', '/api/credentials/tokens', { token });
//   svc.logs()   // every log line so far (pino JSON), for redaction checks
//   await svc.close();
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import { loadConfig } from '../../service/config';
import { MasterKey } from '../../service/crypto/masterKey';
import { createLogger, type Logger } from '../../service/logger';
import type { AppRouter } from '../../service/routers/_app';
import { createService, type RunningService } from '../../service/server';
import { createUser as addUser } from '../../service/accounts/users';
import type { DialectName } from '../../service/store/dialect';
import { createEmptyDatabase, forEachDialect, type TestStore } from './databases';
import { type FakeProviders, startFakeProviders } from './fakeProviders';

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: unknown;
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON unless rawBody is given. */
  body?: unknown;
  /** Sent as is (with Content-Type application/json unless headers say otherwise). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestService {
  url: string;
  dialect: DialectName;
  service: RunningService;
  /** The master key as CREDENTIAL_ENCRYPTION_KEY (tests only). */
  masterKeyHex: string;
  databaseUrl: string;
  createUser(name: string, password: string, role?: 'admin' | 'user'): Promise<{ id: string }>;
  /** Signs in through auth.login; returns the session token. */
  login(name: string, password: string): Promise<string>;
  /** A typed tRPC client (httpLink, no transformer), signed in with `token` if given. */
  trpc(token?: string): TRPCClient<AppRouter>;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Every log line written so far. */
  logs(): string;
  /** Stops the service and removes its database. */
  close(): Promise<void>;
}

export interface TestServiceOptions {
  dialect: DialectName;
  /** Extra environment (provider URLs of the fakes, CREDENTIAL_SESSION_TIMEOUT, ...). */
  env?: Record<string, string>;
  /**
   * An existing database and its key (a forEachDialect TestStore): the service runs on it and
   * leaves it in place on close. Without it a fresh database is made and dropped on close.
   */
  database?: { databaseUrl: string; masterKeyHex: string };
  shutdownGraceMs?: number;
  /** The service's logger; by default lines are kept for logs(). */
  logger?: Logger;
}

export async function startTestService(options: TestServiceOptions): Promise<TestService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-service-'));
  const database = options.database
    ? { databaseUrl: options.database.databaseUrl, drop: async () => undefined }
    : await createEmptyDatabase(options.dialect, dir);
  const masterKeyHex = options.database?.masterKeyHex ?? MasterKey.generate().exportHex();
  const logLines: string[] = [];
  const logger =
    options.logger ??
    createLogger({
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(line) },
    });
  let service: RunningService;
  try {
    const config = loadConfig({
      CREDENTIAL_HOST: '127.0.0.1',
      CREDENTIAL_PORT: '0',
      CREDENTIAL_DATABASE_URL: database.databaseUrl,
      CREDENTIAL_ENCRYPTION_KEY: masterKeyHex,
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
      ...options.env,
    });
    service = await createService({ config, logger, shutdownGraceMs: options.shutdownGraceMs });
  } catch (err) {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = service.url;

  const request = async (
    method: string,
    urlPath: string,
    opts: RequestOptions = {},
  ): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (
      body !== undefined &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
    ) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url + urlPath, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  const trpc = (token?: string) =>
    createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${url}/trpc`,
          headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
        }),
      ],
    });

  let closed = false;
  return {
    url,
    dialect: options.dialect,
    service,
    masterKeyHex,
    databaseUrl: database.databaseUrl,
    async createUser(name, password, role = 'user') {
      const user = await addUser(service.store.db, { username: name, password, role });
      return { id: user.id };
    },
    async login(name, password) {
      const result = await trpc().auth.login.mutate({ username: name, password });
      return result.token;
    },
    trpc,
    request,
    logs: () => logLines.join(''),
    async close() {
      if (closed) return;
      closed = true;
      await service.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServiceSuite {
  svc: TestService;
  fake: FakeProviders;
  store: TestStore;
}

/**
 * Declares a suite for the sqlite and the mysql tier (forEachDialect), each with the service
 * running on that tier's fresh database and provider APIs faked on loopback. `ctx()` gives them.
 */
export function forEachServiceDialect(
  title: string,
  body: (ctx: () => ServiceSuite) => void,
  options: { env?: Record<string, string> } = {},
): void {
  forEachDialect(title, (store) => {
    let suite: ServiceSuite | undefined;
    before(async function () {
      this.timeout(30_000);
      const fake = await startFakeProviders();
      try {
        const svc = await startTestService({
          dialect: store().dialect,
          database: store(),
          env: { ...fake.env, ...options.env },
        });
        suite = { svc, fake, store: store() };
      } catch (err) {
        await fake.close();
        throw err;
      }
    });
    after(async function () {
      this.timeout(30_000);
      await suite?.svc.close();
      await suite?.fake.close();
      suite = undefined;
    });
    body(() => {
      if (!suite) throw new Error('the service is not running (used outside a test?)');
      return suite;
    });
  });
}
