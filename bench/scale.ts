// Benchmark (issue #16, scale): do the hot paths stay flat as the store grows? Two services run
// side by side on fresh databases of one dialect: a small one (10 users, a few thousand audit
// rows) and a large one (10,000 users, 1,000,000 audit rows). The same user exists in both,
// with the same credentials and the same recent history; every call is timed against both in
// alternation, so machine noise hits both alike. Printed: p50/p95 of each call on each store and
// the ratio large/small of the p95. Goal: every ratio at most 1.5.
//
//   npx tsx bench/scale.ts                 (SQLite)
//   CREDENTIAL_TEST_MYSQL_URL=mysql://... npx tsx bench/scale.ts    (SQLite, then MariaDB)
//   XARES_SCALE_USERS=2000 XARES_SCALE_AUDIT=200000 ...             (a smaller run)
//
// Which indexes keep it flat (service/store/migrations): sessions by token_hash (unique) for the
// session check; credentials by (user_id, type, provider, name) for the lists and the git
// credential; audit_log by (user_id, id) through idx_audit_user_id with the primary key for
// audit.list pages at any depth, by (user_id, timestamp) for export --since and the suspicious
// activity look-up; users by username (unique) for the login path.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createSession } from '../service/accounts/sessions';
import { hashPassword } from '../service/accounts/passwords';
import type { DialectName } from '../service/store/dialect';
import type { Database, NewAuditRow } from '../service/store/schema';
import { startTestService, type TestService } from '../test/support/service';

const USERS = Number(process.env.XARES_SCALE_USERS ?? 10_000);
const AUDIT_ROWS = Number(process.env.XARES_SCALE_AUDIT ?? 1_000_000);
const SMALL_USERS = 10;
/** Rows of the measured user's own history, in both stores, so pages have the same content. */
const OWN_ROWS = 5_000;
const SAMPLES = Number(process.env.XARES_SCALE_SAMPLES ?? 200);
const LOGIN_SAMPLES = 40;
const GOAL = 1.5;
const PASSWORD = 'scale-bench-password';
const BATCH = 1_000;

interface Seeded {
  svc: TestService;
  token: string;
  workspaceToken: string;
  deepCursor: number;
}

async function insertUsers(db: Kysely<Database>, count: number, hash: string): Promise<string[]> {
  const ids: string[] = [];
  const now = Date.now();
  for (let start = 0; start < count; start += BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const id = randomUUID();
      ids.push(id);
      rows.push({
        id,
        username: `scale-${i}`,
        password_hash: hash,
        role: 'user' as const,
        disabled: 0,
        created_at: now,
        updated_at: now,
      });
    }
    await db.insertInto('users').values(rows).execute();
  }
  return ids;
}

function auditRow(userId: string, username: string, timestamp: number): NewAuditRow {
  return {
    user_id: userId,
    username,
    action: 'read',
    outcome: 'success',
    credential_id: null,
    credential_type: 'git_token',
    provider: 'github',
    name: 'default',
    workspace_id: null,
    ip_address: '127.0.0.1',
    user_agent: 'bench',
    detail: null,
    timestamp,
  };
}

/** Other users' history, spread over the retention period, oldest first. */
async function insertAudit(db: Kysely<Database>, userIds: string[], count: number): Promise<void> {
  const span = 80 * 24 * 3600_000;
  const start = Date.now() - span;
  for (let done = 0; done < count; done += BATCH) {
    const rows: NewAuditRow[] = [];
    for (let i = done; i < Math.min(count, done + BATCH); i++) {
      const u = i % userIds.length;
      rows.push(auditRow(userIds[u]!, `scale-${u}`, start + Math.floor((span * i) / count)));
    }
    await db.insertInto('audit_log').values(rows).execute();
    if (done % 100_000 === 0 && done > 0) process.stdout.write(`  ${done} audit rows\n`);
  }
}

async function seed(dialect: DialectName, users: number, auditRows: number): Promise<Seeded> {
  const svc = await startTestService({ dialect });
  const db = svc.service.store.db;
  const hash = await hashPassword('not-used-by-the-bench');
  const others = await insertUsers(db, users - 1, hash);
  await insertAudit(db, others, auditRows);
  const alice = await svc.createUser('alice', PASSWORD);
  // The measured user's own history: old rows for the deep page, then recent ones.
  const now = Date.now();
  for (let done = 0; done < OWN_ROWS; done += BATCH) {
    const rows: NewAuditRow[] = [];
    for (let i = done; i < Math.min(OWN_ROWS, done + BATCH); i++) {
      rows.push(auditRow(alice.id, 'alice', now - (OWN_ROWS - i) * 60_000));
    }
    await db.insertInto('audit_log').values(rows).execute();
  }
  const token = await svc.login('alice', PASSWORD);
  const api = svc.trpc(token);
  await api.tokens.create.mutate({
    type: 'git_token',
    provider: 'github',
    token: 'ghp_scaleBench000000000000000000000000',
  });
  await api.tokens.create.mutate({ type: 'ai_token', provider: 'openai', token: 'sk-scale-0000' });
  const { token: workspaceToken } = await createSession(db, {
    userId: alice.id,
    kind: 'workspace',
    workspaceId: 'scale-bench-workspace',
    timeoutSeconds: 3600,
  });
  // A cursor deep in the user's history: the page before the 4,000th newest entry.
  const page = await db
    .selectFrom('audit_log')
    .select('id')
    .where('user_id', '=', alice.id)
    .orderBy('id', 'desc')
    .offset(4_000)
    .limit(1)
    .executeTakeFirstOrThrow();
  return { svc, token, workspaceToken, deepCursor: Number(page.id) };
}

interface Op {
  name: string;
  samples: number;
  run(s: Seeded): Promise<number>;
}

const query = (procedure: string, input?: unknown) =>
  `/trpc/${procedure}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;

async function timed(s: Seeded, method: string, path: string, token?: string, body?: unknown) {
  const start = process.hrtime.bigint();
  const res = await s.svc.request(method, path, { token, body });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
  return ms;
}

const OPS: Op[] = [
  {
    name: 'tokens.list',
    samples: SAMPLES,
    run: (s) => timed(s, 'GET', query('tokens.list', {}), s.token),
  },
  {
    name: 'audit.list first page',
    samples: SAMPLES,
    run: (s) => timed(s, 'GET', query('audit.list', { limit: 100 }), s.token),
  },
  {
    name: 'audit.list deep page',
    samples: SAMPLES,
    run: (s) => timed(s, 'GET', query('audit.list', { limit: 100, before: s.deepCursor }), s.token),
  },
  {
    name: 'audit.export --since 1h',
    samples: SAMPLES,
    run: (s) =>
      timed(
        s,
        'GET',
        query('audit.export', {
          format: 'json',
          since: new Date(Date.now() - 3600_000).toISOString(),
        }),
        s.token,
      ),
  },
  {
    name: 'gitCredential.get',
    samples: SAMPLES,
    run: (s) =>
      timed(
        s,
        'GET',
        query('gitCredential.get', { protocol: 'https', host: 'github.com' }),
        s.workspaceToken,
      ),
  },
  {
    name: 'auth.login',
    samples: LOGIN_SAMPLES,
    run: (s) =>
      timed(s, 'POST', '/trpc/auth.login', undefined, { username: 'alice', password: PASSWORD }),
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function measure(dialect: DialectName): Promise<boolean> {
  console.log(
    `\n${dialect}: seeding ${SMALL_USERS} users and ${USERS} users / ${AUDIT_ROWS} audit rows`,
  );
  const seedStart = Date.now();
  const small = await seed(dialect, SMALL_USERS, 2_000);
  const large = await seed(dialect, USERS, AUDIT_ROWS);
  console.log(`  seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
  let met = true;
  try {
    console.log(
      `  ${'call'.padEnd(26)} ${'small p50'.padStart(10)} ${'small p95'.padStart(10)} ${'large p50'.padStart(10)} ${'large p95'.padStart(10)}  ratio p95`,
    );
    for (const op of OPS) {
      // Warm both (caches, prepared statements, JIT), then alternate which goes first.
      for (let i = 0; i < 10; i++) {
        await op.run(small);
        await op.run(large);
      }
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < op.samples; i++) {
        if (i % 2 === 0) {
          a.push(await op.run(small));
          b.push(await op.run(large));
        } else {
          b.push(await op.run(large));
          a.push(await op.run(small));
        }
      }
      a.sort((x, y) => x - y);
      b.sort((x, y) => x - y);
      const ratio = percentile(b, 0.95) / percentile(a, 0.95);
      if (ratio > GOAL) met = false;
      const f = (n: number) => `${n.toFixed(2)} ms`.padStart(10);
      console.log(
        `  ${op.name.padEnd(26)} ${f(percentile(a, 0.5))} ${f(percentile(a, 0.95))} ${f(percentile(b, 0.5))} ${f(percentile(b, 0.95))}  ${ratio.toFixed(2)}x${ratio > GOAL ? '  (over the goal)' : ''}`,
      );
    }
  } finally {
    await small.svc.close();
    await large.svc.close();
  }
  console.log(
    `  ${dialect}: ${met ? 'goal met' : 'goal MISSED'} (every p95 ratio at most ${GOAL})`,
  );
  return met;
}

async function main(): Promise<void> {
  const dialects: DialectName[] = ['sqlite'];
  if (process.env.CREDENTIAL_TEST_MYSQL_URL) dialects.push('mysql');
  for (const d of dialects) await measure(d);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
