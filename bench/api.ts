// Benchmark: authenticated tokens.list and gitCredential.get (decrypt + audit write) requests per
// second at 32 connections, each as a ratio to a bare Koa JSON endpoint measured in the same run,
// on SQLite and (with CREDENTIAL_TEST_MYSQL_URL) MariaDB. Bounded: about 3 s per measurement,
// taken in interleaved slices so that load from other work on the machine hits all alike.
//   npx tsx bench/api.ts            (CREDENTIAL_TEST_MYSQL_URL=mysql://... for MariaDB too)
// Goal: tokens.list at least 0.5x the bare Koa rate.
// What the list measures: the whole request path (HTTP, tRPC, the session check, the listing and
// its JSON) with the session and the user's list answered from the service's one-second read
// cache (service/store/readCache.ts) as in production. gitCredential.get writes the token's
// last_used_at (at most once a second), which forgets the list: list slices read it anew.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createLogger } from '../service/logger';
import { createSession } from '../service/accounts/sessions';
import { startTestService, type TestService } from '../test/support/service';

const CONNECTIONS = 32;
const WARMUP_MS = 500;
const BUDGET_MS = 3000;
const ROUNDS = 10;
const LIST_GOAL = 0.5;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

function get(url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

interface Target {
  url: URL;
  headers: Record<string, string>;
}

/** Requests answered in `ms` with CONNECTIONS loops in parallel; every answer must be 200. */
async function burst(target: Target, ms: number): Promise<{ done: number; ns: number }> {
  const deadline = Date.now() + ms;
  let done = 0;
  const loop = async () => {
    while (Date.now() < deadline) {
      const status = await get(target.url, target.headers);
      if (status !== 200) throw new Error(`GET ${target.url.pathname} answered ${status}`);
      done++;
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  return { done, ns: Number(process.hrtime.bigint() - start) };
}

/**
 * Requests per second of each target. The targets take turns in short slices, so a change in
 * the machine's load (other work on a shared machine) hits all of them alike and the ratios hold.
 */
async function measure(targets: Target[]): Promise<number[]> {
  for (const t of targets) await burst(t, WARMUP_MS);
  const totals = targets.map(() => ({ done: 0, ns: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, t] of targets.entries()) {
      const r = await burst(t, BUDGET_MS / ROUNDS);
      totals[i]!.done += r.done;
      totals[i]!.ns += r.ns;
    }
  }
  return totals.map((t) => (t.done / t.ns) * 1e9);
}

async function bareKoa(body: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = body;
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const input = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify(value))}`;

async function benchDialect(dialect: 'sqlite' | 'mysql'): Promise<boolean> {
  // Production logging (one access line per request at info) into a sink, not the terminal.
  const svc: TestService = await startTestService({
    dialect,
    env: { DOCKER_HOST: 'unix:///nonexistent/bench.sock' },
    logger: createLogger({ level: 'info', destination: { write: () => undefined } }),
  });
  try {
    await svc.createUser('bench', 'bench-password-1');
    const token = await svc.login('bench', 'bench-password-1');
    const client = svc.trpc(token);
    await client.tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_' + 'b'.repeat(36),
    });
    for (const provider of ['openai', 'anthropic', 'google'] as const) {
      await client.tokens.create.mutate({
        type: 'ai_token',
        provider,
        token: `${provider}-${'k'.repeat(40)}`,
      });
    }
    const listed = await client.tokens.list.query();
    const auth = { authorization: `Bearer ${token}` };
    // git credentials are given to a workspace session only, as a workspace's git helper has.
    const benchUser = await svc.service.store.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'bench')
      .executeTakeFirstOrThrow();
    const workspace = await createSession(svc.service.store.db, {
      userId: benchUser.id,
      kind: 'workspace',
      workspaceId: 'be0c0000be0c0000',
      timeoutSeconds: 3600,
    });
    const workspaceAuth = { authorization: `Bearer ${workspace.token}` };

    // The bare endpoint answers the same JSON the list answers, so only the work differs.
    const bare = await bareKoa({ result: { data: listed } });
    let rates: number[];
    try {
      rates = await measure([
        { url: new URL(bare.url), headers: {} },
        { url: new URL(`${svc.url}/trpc/tokens.list`), headers: auth },
        {
          url: new URL(
            `${svc.url}/trpc/gitCredential.get${input({ protocol: 'https', host: 'github.com' })}`,
          ),
          headers: workspaceAuth,
        },
      ]);
    } finally {
      await bare.close();
    }
    const [bareRate = 0, listRate = 0, gitRate = 0] = rates;
    const audited = await svc.service.store.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'read')
      .executeTakeFirstOrThrow();

    const row = (name: string, rate: number) =>
      `  ${name.padEnd(34)} ${rate.toFixed(0).padStart(7)} req/s  ${(rate / bareRate).toFixed(2)}x bare Koa`;
    console.log(`\n${dialect} (${CONNECTIONS} connections, ${BUDGET_MS / 1000} s each)`);
    console.log(row('bare Koa JSON', bareRate));
    console.log(row('tokens.list (authenticated)', listRate));
    console.log(row('gitCredential.get (decrypt+audit)', gitRate));
    console.log(`  audit rows written by gitCredential.get: ${Number(audited.n)}`);
    const ok = listRate / bareRate >= LIST_GOAL;
    console.log(`  goal tokens.list >= ${LIST_GOAL}x bare Koa: ${ok ? 'met' : 'NOT met'}`);
    return ok;
  } finally {
    await svc.close();
  }
}

async function main(): Promise<void> {
  const dialects: Array<'sqlite' | 'mysql'> = ['sqlite'];
  if (process.env.CREDENTIAL_TEST_MYSQL_URL) dialects.push('mysql');
  else console.log('CREDENTIAL_TEST_MYSQL_URL is not set: MariaDB is skipped');
  let allOk = true;
  for (const dialect of dialects) allOk = (await benchDialect(dialect)) && allOk;
  agent.destroy();
  process.exitCode = allOk ? 0 : 1;
}

void main();
