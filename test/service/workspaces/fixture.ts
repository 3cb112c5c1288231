// Shared set-up of the workspace docker-tier suites: a fresh SQLite store, users with an SSH key
// and AI keys, and a WorkspaceService on the real Docker engine.
import pino from 'pino';
import { loadConfig, type Config } from '../../../service/config';
import { generateSshKey } from '../../../service/ssh/keys';
import { createCredential } from '../../../service/store/credentials';
import { resolveSession } from '../../../service/accounts/sessions';
import type { User } from '../../../service/accounts/users';
import { WorkspaceService, type WorkspaceCaller } from '../../../service/workspaces';
import { openTestStore, type TestStore } from '../../support/databases';
import { testDocker } from '../../support/docker';
import { addTestUser } from '../../support/fixtures';

export interface Fixture {
  store: TestStore;
  config: Config;
  service: WorkspaceService;
  docker: ReturnType<typeof testDocker>;
  addUser(): Promise<{
    user: User;
    caller: WorkspaceCaller;
    publicKey: string;
    privateKey: string;
  }>;
  /** The live session of a workspace token, or undefined once it is revoked. */
  sessionOf(token: string): ReturnType<typeof resolveSession>;
  close(): Promise<void>;
}

export function callerFor(user: User): WorkspaceCaller {
  return {
    userId: user.id,
    username: user.username,
    role: 'user',
    sessionKind: 'user',
    sessionId: 'test-session',
    workspaceId: null,
    ipAddress: '127.0.0.1',
    userAgent: 'workspace tests',
  };
}

export async function openFixture(
  env: Record<string, string> = {},
  docker = testDocker(),
): Promise<Fixture> {
  const store = await openTestStore('sqlite');
  const config = loadConfig({ CREDENTIAL_PORT: '7399', ...env });
  const service = new WorkspaceService({
    store,
    keyring: store.keyring,
    docker,
    config,
    logger: pino({ level: 'silent' }),
  });
  return {
    store,
    config,
    service,
    docker,
    async addUser() {
      const user = await addTestUser(store.db);
      const key = generateSshKey(`${user.username}@xares`);
      await createCredential(store.db, store.keyring, {
        userId: user.id,
        type: 'ssh_key',
        provider: 'ssh',
        name: 'default',
        secret: key.privateKey,
        publicKey: key.publicKey,
        fingerprint: key.fingerprint,
        hint: key.keyType,
      });
      return {
        user,
        caller: callerFor(user),
        publicKey: key.publicKey,
        privateKey: key.privateKey,
      };
    },
    sessionOf: (token) => resolveSession(store.db, token.trim(), config.sessionTimeoutSeconds),
    async close() {
      await service.stop();
      await store.destroy();
    },
  };
}

export async function addAiKey(
  f: Fixture,
  userId: string,
  provider: 'openai' | 'anthropic' | 'google' | 'custom',
  secret: string,
  envVar?: string,
): Promise<void> {
  await createCredential(f.store.db, f.store.keyring, {
    userId,
    type: 'ai_token',
    provider,
    name: envVar ? envVar.toLowerCase() : 'default',
    secret,
    envVar: envVar ?? null,
  });
}

/** Docker's events for one container between two times (seconds, fractions allowed). */
export async function containerActions(
  f: Fixture,
  id: string,
  since: number,
  until: number,
): Promise<string[]> {
  const stream = (await f.docker.getEvents({
    since: since.toFixed(6),
    until: until.toFixed(6),
    filters: { container: [id] },
  } as unknown as Parameters<typeof f.docker.getEvents>[0])) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => String((JSON.parse(l) as { Action?: string }).Action));
}
