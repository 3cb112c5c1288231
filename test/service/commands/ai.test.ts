// `xares-credentials ai usage`: the operator's AI usage report per user, provider and model.
import assert from 'node:assert/strict';
import { recordAiUsage } from '../../../service/store/aiUsage';
import { hasNoStack, runCli } from '../../support/cli';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

forEachDialect('commands: ai usage', (ctx) => {
  it('reports requests and tokens per user and model, by user and since a date', async function () {
    this.timeout(120_000);
    const alice = await addTestUser(ctx().db);
    const bob = await addTestUser(ctx().db);
    const use = (userId: string, model: string, status: number, at?: number) =>
      recordAiUsage(ctx().db, {
        userId,
        workspaceId: 'ws',
        credentialId: null,
        provider: 'openai',
        name: 'default',
        model,
        status,
        inputTokens: 10,
        outputTokens: 5,
        at,
      });
    await use(alice.id, 'gpt-5', 200);
    await use(alice.id, 'gpt-5', 429);
    await use(alice.id, 'gpt-5', 200, Date.parse('2020-01-01T00:00:00Z'));
    await use(bob.id, 'gpt-5-mini', 200);

    const all = await runCli(['ai', 'usage', '--format', 'json'], { env: ctx().env });
    assert.equal(all.code, 0, all.stderr);
    const report = JSON.parse(all.stdout) as {
      usage: Array<{
        username: string;
        model: string;
        requests: number;
        failed: number;
        inputTokens: number;
      }>;
    };
    const a = report.usage.find((u) => u.username === alice.username);
    assert.deepEqual(
      { model: a?.model, requests: a?.requests, failed: a?.failed, input: a?.inputTokens },
      { model: 'gpt-5', requests: 2, failed: 1, input: 20 },
    );
    assert.ok(report.usage.some((u) => u.username === bob.username));

    const one = await runCli(['ai', 'usage', '--user', alice.username, '--since', '2019-12-01'], {
      env: ctx().env,
    });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^AI requests since 2019-12-01T00:00:00\.000Z\nuser +provider +model/);
    assert.match(one.stdout, new RegExp(`${alice.username} +openai +gpt-5 +3 +1 +30 +15`));
    assert.ok(!one.stdout.includes(bob.username));

    const nobody = await runCli(['ai', 'usage', '--user', 'no-such-user'], { env: ctx().env });
    assert.notEqual(nobody.code, 0);
    assert.match(nobody.stderr, /no user named/);
    assert.ok(hasNoStack(nobody.stderr));
    const bad = await runCli(['ai', 'usage', '--since', 'yesterday'], { env: ctx().env });
    assert.equal(bad.code, 2);
  });
});
