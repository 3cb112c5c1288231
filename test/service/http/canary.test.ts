// Canary secrets sent through every path that takes one (sign-in, tokens over tRPC and REST,
// updates, tests, SSH key import with a passphrase, registration, malformed and oversized
// bodies, query strings) must never appear in an answer, a log line or the audit log.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSession } from '../../../service/accounts/sessions';
import { forEachServiceDialect, type TestResponse } from '../../support/service';

forEachServiceDialect('canary secrets stay out of answers, logs and audit rows', (ctx) => {
  it('never shows a canary outside the one answer meant to carry it', async function () {
    this.timeout(60_000);
    const { svc, fake } = ctx();
    const suffix = Math.random().toString(36).slice(2, 10);
    const canary = {
      password: `pw-CANARY-${suffix}`,
      wrongPassword: `wrong-CANARY-${suffix}`,
      github: `ghp_CANARYgh${suffix}`,
      githubNew: `ghp_CANARYnew${suffix}`,
      openai: `sk-CANARYai${suffix}`,
      rest: `sk-ant-CANARYrest${suffix}`,
      passphrase: `pass-CANARY-${suffix}`,
      malformed: `CANARYjson${suffix}`,
      query: `CANARYquery${suffix}`,
    };
    const answers: TestResponse[] = [];
    const keep = async (r: Promise<TestResponse>) => {
      const res = await r;
      answers.push(res);
      return res;
    };

    await svc.createUser('canary', canary.password);
    await keep(
      svc.request('POST', '/trpc/auth.login', {
        body: { username: 'canary', password: canary.wrongPassword },
      }),
    );
    const login = await svc.request('POST', '/trpc/auth.login', {
      body: { username: 'canary', password: canary.password },
    });
    const session = (login.body as { result: { data: { token: string } } }).result.data.token;
    assert.ok(!login.text.includes(canary.password));
    const req = (method: string, p: string, body?: unknown, rawBody?: string) =>
      keep(svc.request(method, p, { token: session, body, rawBody }));

    fake.github.addToken(canary.github, {
      login: 'canary-gh',
      scopes: ['repo', 'admin:public_key'],
    });
    fake.github.addToken(canary.githubNew, {
      login: 'canary-gh',
      scopes: ['repo', 'admin:public_key'],
    });
    const gh = await req('POST', '/trpc/tokens.create', {
      type: 'git_token',
      provider: 'github',
      token: canary.github,
    });
    const ghId = (gh.body as { result: { data: { id: string } } }).result.data.id;
    await req('POST', '/trpc/tokens.create', {
      type: 'ai_token',
      provider: 'openai',
      token: canary.openai,
    });
    await req('POST', '/api/credentials/tokens', { provider: 'anthropic', token: canary.rest });
    await req('POST', '/trpc/tokens.test', { id: ghId });
    await req('POST', '/trpc/tokens.update', { id: ghId, token: canary.githubNew });
    await req('POST', '/trpc/tokens.test', { id: ghId });
    await req('POST', '/api/credentials/test/openai');
    await req('POST', '/api/credentials/test/anthropic');
    await req('GET', '/trpc/tokens.list');
    await req('GET', '/api/credentials/tokens');
    // Bad requests carrying secrets: duplicates, malformed JSON, oversized, invalid fields.
    await req('POST', '/trpc/tokens.create', {
      type: 'git_token',
      provider: 'github',
      token: canary.github,
    });
    await req('POST', '/trpc/tokens.create', undefined, `{"token":"${canary.malformed}"`);
    await req('POST', '/api/credentials/tokens', undefined, `{"token":"${canary.malformed}`);
    await req('POST', '/trpc/tokens.create', {
      type: 'git_token',
      provider: 'gitlab',
      token: canary.github + 'x'.repeat(70_000),
    });
    await req('POST', '/trpc/tokens.create', {
      type: 'git_token',
      provider: 'github',
      name: 'bad name',
      token: canary.github,
    });
    await req(
      'GET',
      `/trpc/tokens.list?input=${encodeURIComponent(JSON.stringify({ type: canary.query }))}`,
    );

    // An SSH key with a passphrase: imported, registered at GitHub with the canary token.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-canary-'));
    let privateKey = '';
    try {
      const file = path.join(dir, 'id');
      execFileSync(
        'ssh-keygen',
        ['-q', '-t', 'ed25519', '-N', canary.passphrase, '-C', 'c', '-f', file],
        {
          timeout: 10_000,
        },
      );
      privateKey = readFileSync(file, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const key = await req('POST', '/trpc/sshKeys.import', {
      privateKey,
      passphrase: canary.passphrase,
    });
    assert.equal(key.status, 200, key.text);
    const keyId = (key.body as { result: { data: { id: string } } }).result.data.id;
    await req('POST', '/trpc/sshKeys.import', { name: 'again', privateKey, passphrase: 'wrong' });
    const reg = await req('POST', '/trpc/sshKeys.register', { id: keyId, provider: 'github' });
    assert.match(reg.text, /registered/);
    await req('GET', '/trpc/sshKeys.list');
    await req('GET', '/trpc/audit.list');
    await req(
      'GET',
      `/trpc/audit.export?input=${encodeURIComponent(JSON.stringify({ format: 'csv' }))}`,
    );

    // The one answer that carries a secret by contract: the git credential helper's, to a
    // workspace session only.
    const canaryUser = await ctx()
      .store.db.selectFrom('users')
      .select('id')
      .where('username', '=', 'canary')
      .executeTakeFirstOrThrow();
    const workspace = await createSession(ctx().store.db, {
      userId: canaryUser.id,
      kind: 'workspace',
      workspaceId: 'ca0a0000ca0a0000',
      timeoutSeconds: 3600,
    });
    const git = await svc.request(
      'GET',
      `/trpc/gitCredential.get?input=${encodeURIComponent(JSON.stringify({ protocol: 'https', host: 'github.com' }))}`,
      { token: workspace.token },
    );
    assert.ok(git.text.includes(canary.githubNew));

    const secrets = [
      ...Object.values(canary),
      // The body of the private key, whatever line it falls on.
      ...privateKey
        .split('\n')
        .filter((l) => l.length > 40 && !l.startsWith('-----'))
        .slice(0, 3),
    ];
    for (const res of answers) {
      for (const secret of secrets) {
        assert.ok(
          !res.text.includes(secret),
          `an answer (HTTP ${res.status}) contains a canary: ${res.text.slice(0, 200)}`,
        );
      }
    }
    const logs = svc.logs();
    assert.ok(logs.length > 0);
    for (const secret of [...secrets, session]) {
      assert.ok(!logs.includes(secret), `the log contains a secret (${secret.slice(0, 12)}…)`);
    }
    const auditRows = await ctx().store.db.selectFrom('audit_log').selectAll().execute();
    assert.ok(auditRows.length > 10);
    const auditText = JSON.stringify(auditRows);
    for (const secret of [...secrets, session]) {
      assert.ok(
        !auditText.includes(secret),
        `the audit log contains a secret (${secret.slice(0, 12)}…)`,
      );
    }
    // One access-log line per request, by path only.
    const lines = logs
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; path?: string });
    const access = lines.filter((l) => l.msg === 'request');
    assert.ok(access.length >= answers.length);
    assert.ok(access.every((l) => l.path && !l.path.includes('?')));
  });
});
