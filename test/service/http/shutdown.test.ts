// Graceful shutdown of `xares-credentials serve` as a child process: on SIGTERM it stops
// accepting connections, finishes the request in flight, and exits 0 without a stack trace.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createUser } from '../../../service/accounts/users';
import { openTestStore, type TestStore } from '../../support/databases';
import { type FakeProviders, startFakeProviders } from '../../support/fakeProviders';
import { tierSuite } from '../../support/tiers';

const ROOT = path.join(__dirname, '..', '..', '..');

function waitForUrl(child: ChildProcess, output: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not start: ${output.text}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output.text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output.text);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${output.text}`));
    });
  });
}

async function post(
  url: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, json: await res.json() };
}

tierSuite('sqlite', 'serve: graceful shutdown on SIGTERM', () => {
  let store: TestStore | undefined;
  let fake: FakeProviders | undefined;
  let child: ChildProcess | undefined;

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await fake?.close();
    await store?.destroy();
  });

  it('finishes the request in flight, refuses new connections and exits 0', async function () {
    this.timeout(60_000);
    store = await openTestStore('sqlite');
    fake = await startFakeProviders();
    await createUser(store.db, { username: 'shut', password: 'shut-password-1' });
    fake.github.addToken('ghp_shutdown0001', { login: 'shut', scopes: ['repo'] });

    const output = { text: '' };
    const errors = { text: '' };
    child = spawn(process.execPath, ['--import', 'tsx', 'service/cli.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...store.env,
        ...fake.env,
        CREDENTIAL_HOST: '127.0.0.1',
        CREDENTIAL_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => (errors.text += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child?.once('exit', (code) => resolve(code)),
    );
    const url = await waitForUrl(child, output);

    const login = await post(`${url}/trpc/auth.login`, {
      username: 'shut',
      password: 'shut-password-1',
    });
    const token = (login.json as { result: { data: { token: string } } }).result.data.token;
    const created = await post(
      `${url}/trpc/tokens.create`,
      { type: 'git_token', provider: 'github', token: 'ghp_shutdown0001' },
      token,
    );
    const id = (created.json as { result: { data: { id: string } } }).result.data.id;

    // The provider takes 1.5 s: the test is in flight when SIGTERM arrives.
    fake.github.setFault({ kind: 'slow', delayMs: 1500 });
    const inFlight = post(`${url}/trpc/tokens.test`, { id }, token);
    await new Promise((r) => setTimeout(r, 400));
    const started = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(
      fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) }),
      'new connections are refused while shutting down',
    );

    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.equal(
      (answer.json as { result: { data: { status: string } } }).result.data.status,
      'valid',
    );
    assert.equal(await exited, 0, errors.text);
    assert.ok(Date.now() - started < 15_000);
    assert.doesNotMatch(errors.text + output.text, /\n\s+at /);
  });
});

tierSuite('unit', 'serve: start-up refusals', () => {
  for (const c of [
    {
      what: 'a malformed key',
      env: {
        CREDENTIAL_ENCRYPTION_KEY: 'not-hex',
        CREDENTIAL_DATABASE_URL: 'sqlite:/nonexistent/x.db',
      },
      says: /CREDENTIAL_ENCRYPTION_KEY/,
    },
    {
      what: 'MySQL without a key',
      env: { CREDENTIAL_DATABASE_URL: 'mysql://u:p@127.0.0.1:1/db' },
      says: /with MySQL, CREDENTIAL_ENCRYPTION_KEY or CREDENTIAL_ENCRYPTION_KEY_FILE must be set/,
    },
  ]) {
    it(`stops with one clear line and a non-zero exit for ${c.what}`, async function () {
      this.timeout(30_000);
      const env: NodeJS.ProcessEnv = { ...process.env, CREDENTIAL_PORT: '0', ...c.env };
      delete env.CREDENTIAL_ENCRYPTION_KEY_FILE;
      if (!('CREDENTIAL_ENCRYPTION_KEY' in c.env)) delete env.CREDENTIAL_ENCRYPTION_KEY;
      const child = spawn(process.execPath, ['--import', 'tsx', 'service/cli.ts', 'serve'], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.notEqual(code, 0);
      assert.match(stderr, c.says);
      assert.doesNotMatch(stderr, /\n\s+at /);
    });
  }
});
