import assert from 'node:assert/strict';
import type { CompiledQuery, KyselyPlugin, RootOperationNode } from 'kysely';
import {
  exportAudit,
  listAudit,
  purgeAudit,
  recordAudit,
  SUSPICIOUS_THRESHOLD,
} from '../../../service/audit/audit';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';
import type { Executor } from '../../../service/store/database';

/** The statements `db` sends while `run` runs, compiled with their parameters. */
async function capture(db: Executor, run: (db: Executor) => Promise<unknown>) {
  const sent: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery(args): RootOperationNode {
      sent.push(db.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  await run(db.withPlugin(plugin));
  return sent;
}

forEachDialect('audit/audit', (ctx) => {
  it('pages newest first with a cursor, filters by action, and is scoped per user', async () => {
    const user = await addTestUser(ctx().db);
    const other = await addTestUser(ctx().db);
    for (let i = 0; i < 5; i++) {
      await recordAudit(ctx().db, {
        userId: user.id,
        action: i % 2 ? 'read' : 'create',
        outcome: 'success',
        name: `n${i}`,
      });
    }
    await recordAudit(ctx().db, { userId: other.id, action: 'read', outcome: 'success' });
    const first = await listAudit(ctx().db, user.id, { limit: 2 });
    assert.deepEqual(
      first.entries.map((e) => e.name),
      ['n4', 'n3'],
    );
    assert.ok(first.nextCursor);
    const second = await listAudit(ctx().db, user.id, { limit: 2, before: first.nextCursor });
    assert.deepEqual(
      second.entries.map((e) => e.name),
      ['n2', 'n1'],
    );
    const third = await listAudit(ctx().db, user.id, { limit: 2, before: second.nextCursor });
    assert.deepEqual(
      third.entries.map((e) => e.name),
      ['n0'],
    );
    assert.equal(third.nextCursor, null);
    const reads = await listAudit(ctx().db, user.id, { action: 'read' });
    assert.deepEqual(
      reads.entries.map((e) => e.name),
      ['n3', 'n1'],
    );
    assert.match(first.entries[0]?.timestamp ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal((await listAudit(ctx().db, other.id)).entries.length, 1);
    assert.equal(
      (await listAudit(ctx().db, user.id, { limit: 5000 })).entries.length,
      5,
      'limit is capped, not refused',
    );
  });

  it('flags more than 50 of one action from one address within an hour', async () => {
    const user = await addTestUser(ctx().db);
    const now = Date.now();
    for (let i = 0; i < SUSPICIOUS_THRESHOLD; i++) {
      await recordAudit(ctx().db, {
        userId: user.id,
        action: 'read',
        outcome: 'success',
        ipAddress: '203.0.113.9',
        timestamp: now - 1000,
      });
    }
    // Old activity does not count.
    await recordAudit(ctx().db, {
      userId: user.id,
      action: 'read',
      outcome: 'success',
      ipAddress: '203.0.113.9',
      timestamp: now - 2 * 3600_000,
    });
    let page = await listAudit(ctx().db, user.id, { limit: 10 }, now);
    assert.deepEqual(page.suspicious, []);
    assert.ok(page.entries.every((e) => !e.suspicious));
    await recordAudit(ctx().db, {
      userId: user.id,
      action: 'read',
      outcome: 'success',
      ipAddress: '203.0.113.9',
      timestamp: now - 500,
    });
    await recordAudit(ctx().db, {
      userId: user.id,
      action: 'create',
      outcome: 'success',
      ipAddress: '203.0.113.9',
      timestamp: now - 400,
    });
    page = await listAudit(ctx().db, user.id, { limit: 100 }, now);
    assert.deepEqual(page.suspicious, [{ action: 'read', ipAddress: '203.0.113.9', count: 51 }]);
    assert.equal(page.entries.filter((e) => e.suspicious).length, 51);
    assert.equal(page.entries.find((e) => e.action === 'create')?.suspicious, false);
  });

  it('exports JSON and properly quoted CSV, by user and since', async () => {
    const user = await addTestUser(ctx().db);
    const t0 = Date.now() - 10_000;
    await recordAudit(ctx().db, {
      userId: user.id,
      username: user.username,
      action: 'create',
      outcome: 'success',
      name: 'old',
      timestamp: t0 - 5000,
    });
    await recordAudit(ctx().db, {
      userId: user.id,
      username: user.username,
      action: 'test',
      outcome: 'failure',
      name: 'default',
      detail: 'said "no", then\nleft',
      userAgent: '=HYPERLINK("x")',
      timestamp: t0 + 1,
    });
    const json = JSON.parse(
      await exportAudit(ctx().db, { userId: user.id, format: 'json', since: t0 }),
    ) as { detail: string; username: string }[];
    assert.equal(json.length, 1);
    assert.equal(json[0]?.detail, 'said "no", then\nleft');
    assert.equal(json[0]?.username, user.username);
    const csv = await exportAudit(ctx().db, { userId: user.id, format: 'csv', since: t0 });
    const [header, ...rest] = csv.split('\r\n');
    assert.match(header ?? '', /^id,timestamp,userId,username,action,outcome,/);
    const body = rest.join('\r\n');
    assert.ok(body.includes('"said ""no"", then\nleft"'), body);
    assert.ok(body.includes(`"'=HYPERLINK(""x"")"`), 'formula defused');
    assert.equal(
      (await exportAudit(ctx().db, { userId: user.id, format: 'json' })).includes('"old"'),
      true,
    );
    assert.equal(
      JSON.parse(await exportAudit(ctx().db, { userId: 'nobody', format: 'json' })).length,
      0,
    );
  });

  it('export --since pages from the first row of the period, not through the whole history', async () => {
    // bench/scale.ts: paging from id 0 read all of a user's rows (1,000,000-row store) to export
    // the last hour. The rows below the period's first id are never read, and nothing is lost:
    // a row written later with an older timestamp stays out, a row of the period is in.
    const db = ctx().db;
    const user = await addTestUser(db);
    const now = Date.now();
    const row = (name: string, timestamp: number) =>
      recordAudit(db, { userId: user.id, action: 'read', outcome: 'success', name, timestamp });
    for (let i = 0; i < 30; i++) await row(`old-${i}`, now - 86_400_000 + i);
    const firstNew = await row('new-0', now - 1000);
    await row('late-but-old', now - 7_200_000);
    await row('new-1', now - 500);
    const since = now - 3_600_000;
    let out = '';
    const sent = await capture(db, async (d) => {
      out = await exportAudit(d, { userId: user.id, format: 'json', since });
    });
    assert.deepEqual(
      (JSON.parse(out) as { name: string }[]).map((e) => e.name),
      ['new-0', 'new-1'],
    );
    const pages = sent.filter((q) => /order by/i.test(q.sql));
    assert.equal(pages.length, 1, sent.map((q) => q.sql).join('\n'));
    assert.equal(pages[0]?.parameters[0], firstNew - 1, 'the first page starts at the period');
    // Nothing in the period: an empty export, without paging at all.
    out = await exportAudit(db, { userId: user.id, format: 'csv', since: now + 60_000 });
    assert.equal(out.split('\r\n').filter(Boolean).length, 1, 'only the header');
    // The operator's export of every user starts at the period too.
    const first = await db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.min('id').as('id'))
      .where('timestamp', '>=', since)
      .executeTakeFirstOrThrow();
    const all = await capture(db, (d) => exportAudit(d, { format: 'json', since }));
    const allPages = all.filter((q) => /order by/i.test(q.sql));
    assert.equal(Number(allPages[0]?.parameters[0]), Number(first.id) - 1);
  });

  it('purges rows past retention in bounded batches', async () => {
    const user = await addTestUser(ctx().db);
    const now = Date.now();
    const day = 86_400_000;
    for (let i = 0; i < 7; i++) {
      await recordAudit(ctx().db, {
        userId: user.id,
        action: 'read',
        outcome: 'success',
        timestamp: now - 100 * day - i,
      });
    }
    await recordAudit(ctx().db, {
      userId: user.id,
      action: 'read',
      outcome: 'success',
      timestamp: now - day,
    });
    assert.equal(
      await purgeAudit(ctx().db, 90, 3, { now, maxBatches: 2 }),
      6,
      'stops after maxBatches',
    );
    assert.equal(await purgeAudit(ctx().db, 90, 3, { now }), 1);
    const left = await listAudit(ctx().db, user.id);
    assert.equal(left.entries.length, 1);
  });
});
