// The real credential service for the e2e tier, on loopback with a fresh SQLite database and
// the loopback fake provider APIs: what the extension in code-server talks to.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../service/config';
import { createService } from '../../service/server';
import { createUser } from '../../service/accounts/users';
import { startFakeProviders } from '../support/fakeProviders';
import type { FakeProviders } from '../support/fakeProviders';
import { freePort } from '../support/codeServer';

export interface LiveService {
  url: string;
  fake: FakeProviders;
  addUser(username: string, password: string): Promise<void>;
  /** Sessions stored for a user (hashes only; used to see that sign-out ended one). */
  close(): Promise<void>;
}

export async function startLiveService(): Promise<LiveService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-e2e-service-'));
  const fake = await startFakeProviders();
  const port = await freePort();
  const config = loadConfig({
    ...fake.env,
    CREDENTIAL_HOST: '127.0.0.1',
    CREDENTIAL_PORT: String(port),
    CREDENTIAL_DATABASE_URL: `sqlite:${path.join(dir, 'credentials.db')}`,
    CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    CREDENTIAL_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PATH: process.env.PATH ?? '',
  });
  const { pino } = await import('pino');
  const service = await createService({ config, logger: pino({ level: 'silent' }) });
  return {
    url: service.url,
    fake,
    addUser: async (username, password) => {
      await createUser(service.store.db, { username, password });
    },
    close: async () => {
      await service.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
