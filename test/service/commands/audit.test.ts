import assert from 'node:assert/strict';
import { recordAudit } from '../../../service/audit/audit';
import { forEachDialect } from '../../support/databases';
import { hasNoStack, runCli } from '../../support/cli';
import { addTestUser } from '../../support/fixtures';

forEachDialect('commands: audit export', (ctx) => {
  it('exports JSON and CSV to stdout, by user and since a date', async function () {
    this.timeout(120_000);
    const user = await addTestUser(ctx().db);
    const other = await addTestUser(ctx().db);
    await recordAudit(ctx().db, {
      userId: user.id,
      username: user.username,
      action: 'read',
      outcome: 'success',
      name: 'old',
      timestamp: Date.parse('2020-01-01T00:00:00Z'),
    });
    await recordAudit(ctx().db, {
      userId: user.id,
      username: user.username,
      action: 'inject',
      outcome: 'denied',
      name: 'x,"y"',
    });
    await recordAudit(ctx().db, {
      userId: other.id,
      username: other.username,
      action: 'read',
      outcome: 'success',
    });

    const json = await runCli(
      ['audit', 'export', '--user', user.username, '--since', '2021-01-01'],
      { env: ctx().env },
    );
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { action: string; username: string; name: string }[];
    assert.deepEqual(
      rows.map((r) => r.action),
      ['inject', 'export'],
    );
    assert.equal(rows[0]?.name, 'x,"y"');

    const csv = await runCli(['audit', 'export', '--format', 'csv'], { env: ctx().env });
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^id,timestamp,userId,username,action,outcome/);
    assert.ok(csv.stdout.includes('"x,""y"""'));
    assert.ok(csv.stdout.includes(other.username), 'all users without --user');

    for (const [args, message] of [
      [['--format', 'xml'], /--format must be json or csv/],
      [['--since', 'last week'], /--since must be a date/],
      [['--user', 'nobody-here'], /no user named/],
      [['--bogus'], /Unknown option/],
    ] as const) {
      const bad = await runCli(['audit', 'export', ...args], { env: ctx().env });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, message);
      assert.ok(hasNoStack(bad.stderr), bad.stderr);
    }
  });
});
