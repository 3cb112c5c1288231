// The sign-in limiter as an attacker meets it, over real HTTP on both databases: batches,
// parallel requests, two replicas on one MariaDB, forged X-Forwarded-For, and trying to lock
// other users out. "Evaluated" is counted in the audit log: every checked password leaves one
// `login` row with outcome failure or success; a refused attempt leaves one with outcome denied.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Executor } from '../../../service/store/database';
import { randomName } from '../../support/fixtures';
import { forEachServiceDialect, type TestResponse, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';
import { openTestStore, type TestStore } from '../../support/databases';
import { createUser } from '../../../service/accounts/users';

const PAIR_LIMIT = 5;

async function loginOutcomes(db: Executor, username: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('audit_log')
    .select('outcome')
    .where('action', '=', 'login')
    .where('username', '=', username)
    .execute();
  const counts: Record<string, number> = { success: 0, failure: 0, denied: 0 };
  for (const r of rows) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

function statuses(responses: TestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

function login(
  svc: TestService,
  username: string,
  password: string,
  forwardedFor?: string,
): Promise<TestResponse> {
  return svc.request('POST', '/trpc/auth.login', {
    body: { username, password },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
}

function batchOf(paths: string[], inputs: unknown[]): { url: string; body: string } {
  const body: Record<string, unknown> = {};
  inputs.forEach((input, i) => (body[String(i)] = input));
  return { url: `/trpc/${paths.join(',')}?batch=1`, body: JSON.stringify(body) };
}

forEachServiceDialect('sign-in limiter against batches and parallel requests', (ctx) => {
  it('refuses a batch of 25 auth.login calls before evaluating any of them', async () => {
    const name = randomName('batch');
    await ctx().svc.createUser(name, 'batch-password-1');
    const inputs = Array.from({ length: 25 }, (_, i) => ({
      username: name,
      password: i === 24 ? 'batch-password-1' : `guess-${i}`,
    }));
    const { url, body } = batchOf(Array(25).fill('auth.login'), inputs);
    const res = await ctx().svc.request('POST', url, { rawBody: body });
    assert.ok(res.status === 400 || res.status === 413, `${res.status} ${res.text}`);
    assert.match(res.text, /batch/i);
    assert.doesNotMatch(res.text, /"token"/);
    assert.deepEqual(await loginOutcomes(ctx().store.db, name), {
      success: 0,
      failure: 0,
      denied: 0,
    });
  });

  it('refuses auth.login batched with any other call, evaluating nothing', async () => {
    const name = randomName('mixed');
    await ctx().svc.createUser(name, 'mixed-password-1');
    const { url, body } = batchOf(
      ['auth.login', 'auth.login'],
      [
        { username: name, password: 'mixed-password-1' },
        { username: name, password: 'wrong' },
      ],
    );
    const res = await ctx().svc.request('POST', url, { rawBody: body });
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /auth\.login cannot be batched/);
    assert.deepEqual(await loginOutcomes(ctx().store.db, name), {
      success: 0,
      failure: 0,
      denied: 0,
    });
    // A batch of one sign-in is still a sign-in.
    const single = batchOf(['auth.login'], [{ username: name, password: 'mixed-password-1' }]);
    const ok = await ctx().svc.request('POST', single.url, { rawBody: single.body });
    assert.equal(ok.status, 200, ok.text);
  });

  it('answers batches up to 10 calls and refuses 11 with a readable message', async () => {
    const name = randomName('many');
    await ctx().svc.createUser(name, 'many-password-1');
    const token = await ctx().svc.login(name, 'many-password-1');
    const call = (n: number) =>
      ctx().svc.request('GET', `/trpc/${Array(n).fill('auth.me').join(',')}?batch=1`, { token });
    const ten = await call(10);
    assert.equal(ten.status, 200, ten.text);
    assert.equal((ten.body as unknown[]).length, 10);
    const eleven = await call(11);
    assert.ok(eleven.status === 400 || eleven.status === 413, eleven.text);
    assert.match(eleven.text, /at most 10 calls/);
  });

  it('evaluates no more than the limit of 25 parallel sign-ins, and audits the refusals', async function () {
    this.timeout(60_000);
    const name = randomName('par');
    await ctx().svc.createUser(name, 'parallel-password-1');
    const responses = await Promise.all(
      Array.from({ length: 25 }, (_, i) => login(ctx().svc, name, `guess-${i}`)),
    );
    assert.deepEqual(statuses(responses), { 401: PAIR_LIMIT, 429: 25 - PAIR_LIMIT });
    for (const r of responses.filter((x) => x.status === 429)) {
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    }
    assert.deepEqual(await loginOutcomes(ctx().store.db, name), {
      success: 0,
      failure: PAIR_LIMIT,
      denied: 25 - PAIR_LIMIT,
    });
  });

  it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
    const name = randomName('spoof');
    await ctx().svc.createUser(name, 'spoof-password-1');
    const results: number[] = [];
    for (let i = 0; i < PAIR_LIMIT + 2; i++) {
      results.push((await login(ctx().svc, name, 'wrong', `198.51.100.${i + 1}`)).status);
    }
    assert.deepEqual(results, [401, 401, 401, 401, 401, 429, 429]);
  });

  it('one client failing at many usernames does not lock out a colleague at the same address', async function () {
    this.timeout(120_000);
    const victim = randomName('victim');
    const colleague = randomName('colleague');
    await ctx().svc.createUser(victim, 'victim-password-1');
    await ctx().svc.createUser(colleague, 'colleague-password-1');
    // Past the per-address ceiling (30) from this one address, and the victim's own limit.
    for (let i = 0; i < PAIR_LIMIT; i++) await login(ctx().svc, victim, `guess-${i}`);
    for (let i = 0; i < 30; i++) await login(ctx().svc, randomName('spray'), 'Summer2026!');
    // A second guess at a sprayed name is refused: the address is over its ceiling.
    assert.equal((await login(ctx().svc, victim, 'victim-password-1')).status, 429);
    const ok = await login(ctx().svc, colleague, 'colleague-password-1');
    assert.equal(ok.status, 200, ok.text);
  });
});

forEachServiceDialect(
  'sign-in limiter behind a trusted proxy (CREDENTIAL_TRUSTED_PROXIES)',
  (ctx) => {
    it('counts per client address taken from the rightmost untrusted hop, never from forged hops', async () => {
      const name = randomName('proxied');
      await ctx().svc.createUser(name, 'proxied-password-1');
      // The attacker at 203.0.113.7 forges a new leftmost address each time; the proxy appends
      // the address it saw, which is the one counted.
      const results: number[] = [];
      for (let i = 0; i < PAIR_LIMIT + 1; i++) {
        results.push((await login(ctx().svc, name, 'wrong', `10.0.0.${i}, 203.0.113.7`)).status);
      }
      assert.deepEqual(results, [401, 401, 401, 401, 401, 429]);
      // The user at another address is not locked out, and signing in from there does not
      // erase the attacker's failures.
      const ok = await login(ctx().svc, name, 'proxied-password-1', '192.0.2.44');
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await login(ctx().svc, name, 'wrong', '203.0.113.7')).status, 429);
      const rows = await ctx()
        .store.db.selectFrom('audit_log')
        .select('ip_address')
        .where('username', '=', name)
        .where('outcome', '=', 'success')
        .execute();
      assert.deepEqual(
        rows.map((r) => r.ip_address),
        ['192.0.2.44'],
      );
      // The access log names the same client as the limiter and the audit: not the proxy, and
      // never a hop the client forged.
      const ips = ctx()
        .svc.logs()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg?: string; path?: string; ip?: string })
        .filter((l) => l.msg === 'request' && l.path === '/trpc/auth.login')
        .map((l) => l.ip);
      assert.ok(ips.includes('192.0.2.44'), `access log addresses: ${ips.join(', ')}`);
      assert.ok(ips.includes('203.0.113.7'), `access log addresses: ${ips.join(', ')}`);
      assert.ok(!ips.some((ip) => ip?.startsWith('10.0.0.')), `forged: ${ips.join(', ')}`);
    });

    it('a success from one address leaves the other addresses’ failures in place', async () => {
      const name = randomName('keep');
      await ctx().svc.createUser(name, 'keep-password-1');
      for (let i = 0; i < PAIR_LIMIT - 1; i++) {
        assert.equal((await login(ctx().svc, name, 'wrong', '203.0.113.8')).status, 401);
      }
      assert.equal((await login(ctx().svc, name, 'keep-password-1', '192.0.2.45')).status, 200);
      assert.equal((await login(ctx().svc, name, 'wrong', '203.0.113.8')).status, 401);
      assert.equal((await login(ctx().svc, name, 'wrong', '203.0.113.8')).status, 429);
    });

    it('distributed guessing at one username stops at the per-username limit', async function () {
      this.timeout(60_000);
      const name = randomName('dist');
      await ctx().svc.createUser(name, 'dist-password-1');
      const results: number[] = [];
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < PAIR_LIMIT; j++) {
          results.push((await login(ctx().svc, name, 'wrong', `203.0.113.${20 + i}`)).status);
        }
      }
      assert.equal(results.filter((s) => s === 401).length, 15);
      assert.equal(results.filter((s) => s === 429).length, 5);
    });
  },
  { env: { CREDENTIAL_TRUSTED_PROXIES: '127.0.0.1, ::1' } },
);

// Two real service processes on one MariaDB: the reservation must hold across them.
const ROOT = path.join(__dirname, '..', '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startReplica(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'service', 'cli.ts'), 'serve'],
    {
      cwd: ROOT,
      env: { ...env, CREDENTIAL_HOST: '127.0.0.1', CREDENTIAL_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${code}: ${output}`));
    });
  });
  child.removeAllListeners('exit');
  return { url, child };
}

tierSuite('mysql', 'sign-in limiter across two replicas', () => {
  let store: TestStore | undefined;
  before(async function () {
    this.timeout(30_000);
    store = await openTestStore('mysql');
  });
  after(async function () {
    this.timeout(30_000);
    await store?.destroy();
  });

  it('parallel sign-ins spread over two service processes cannot exceed the limit', async function () {
    this.timeout(90_000);
    const db = store?.db;
    assert.ok(store && db);
    const name = randomName('replica');
    await createUser(db, { username: name, password: 'replica-password-1' });
    const replicas = await Promise.all([startReplica(store.env), startReplica(store.env)]);
    try {
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          fetch(`${replicas[i % 2]?.url}/trpc/auth.login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: name, password: `guess-${i}` }),
          }).then((r) => r.status),
        ),
      );
      const counts: Record<number, number> = {};
      for (const s of responses) counts[s] = (counts[s] ?? 0) + 1;
      assert.deepEqual(counts, { 401: PAIR_LIMIT, 429: 30 - PAIR_LIMIT });
      assert.equal((await loginOutcomes(db, name)).failure, PAIR_LIMIT);
    } finally {
      for (const r of replicas) r.child.kill('SIGTERM');
      await Promise.all(
        replicas.map((r) => new Promise((resolve) => r.child.once('exit', resolve))),
      );
    }
  });
});
