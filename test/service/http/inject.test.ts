// Injection over the HTTP surface with a real container: the REST mirror's POST /inject/:id and
// GET /workspace/:id, the workspace session it hands the container, and clear.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createWorkspace, testDocker, type TestWorkspace } from '../../support/docker';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';
import { assertTrpcCode, trpcFailure } from '../routers/assertions';

tierSuite('docker', 'injection over HTTP', () => {
  let svc: TestService;
  let ws: TestWorkspace | undefined;

  before(async function () {
    this.timeout(60_000);
    svc = await startTestService({ dialect: 'sqlite' });
  });

  after(async function () {
    this.timeout(60_000);
    await ws?.remove();
    await svc?.close();
  });

  it('injects through REST, hands the container a workspace session, and clears', async function () {
    this.timeout(120_000);
    const owner = `inj${randomBytes(4).toString('hex')}`;
    await svc.createUser(owner, 'inject-password-1');
    await svc.createUser(`${owner}x`, 'other-password-1');
    const token = await svc.login(owner, 'inject-password-1');
    const user = svc.trpc(token);
    await user.settings.update.mutate({ autoInject: false });
    await user.sshKeys.generate.mutate({});
    await user.tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_inject0001',
    });

    ws = await createWorkspace(testDocker(), { owner });
    const injected = await svc.request('POST', `/api/credentials/inject/${ws.id}`, { token });
    assert.equal(injected.status, 200, injected.text);
    const body = injected.body as { injected: boolean; workspaceId: string; files: string[] };
    assert.equal(body.injected, true);
    assert.equal(body.workspaceId, ws.id);
    assert.ok(body.files.includes('.ssh/id_ed25519'), body.files.join(', '));

    const one = await svc.request('GET', `/api/credentials/workspace/${ws.id}`, { token });
    assert.equal(one.status, 200, one.text);
    const info = one.body as { id: string; state: string; injectedAt: string | null };
    assert.deepEqual([info.id, info.state], [ws.id, 'running']);
    assert.ok(info.injectedAt);
    assert.ok((await user.workspaces.list.query()).some((w) => w.id === ws!.id));

    // The container's own token is a workspace session bound to it.
    const wsToken = (await ws.sh('cat ~/.config/xares/workspace-token')).trim();
    const inside = svc.trpc(wsToken);
    const me = await inside.auth.me.query();
    assert.deepEqual([me.sessionKind, me.workspaceId], ['workspace', ws.id]);
    const cred = await inside.gitCredential.get.query({ protocol: 'https', host: 'github.com' });
    assert.equal(cred.password, 'ghp_inject0001');
    // It may inject its own container by the hostname the container knows itself by (an id prefix).
    const again = await inside.workspaces.inject.mutate({ workspaceId: ws.id.slice(0, 12) });
    assert.deepEqual([again.injected, again.workspaceId], [true, ws.id]);

    // Another user cannot inject into it (the contract allows either answer).
    const other = svc.trpc(await svc.login(`${owner}x`, 'other-password-1'));
    const refused = await trpcFailure(other.workspaces.inject.mutate({ workspaceId: ws.id }));
    assert.ok(['NOT_FOUND', 'FORBIDDEN'].includes(refused.code), refused.code);

    const cleared = await user.workspaces.clear.mutate({ workspaceId: ws.id });
    assert.equal(cleared.cleared, true);
    assert.ok(cleared.files.includes('.ssh/id_ed25519'));
    await assertTrpcCode(svc.trpc(wsToken).auth.me.query(), 'UNAUTHORIZED');
  });
});
