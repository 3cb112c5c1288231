// Signed commits (docker tier): with the user's commitSigning setting on, real git in a real
// container signs commits and tags with the injected SSH key (ssh-keygen -Y sign) and verifies
// them locally against the injected allowed-signers file; off (the default), nothing is signed.
// A commit by another key or e-mail does not verify as the user's.
import assert from 'node:assert/strict';
import { updateSettings } from '../../../service/store/settings';
import { createWorkspace, type TestWorkspace } from '../../support/docker';
import { tierSuite } from '../../support/tiers';
import { openFixture, type Fixture } from './fixture';

tierSuite('docker', 'signed commits in a workspace', function () {
  this.timeout(120_000);
  let f: Fixture;
  const containers: TestWorkspace[] = [];

  before(async () => {
    f = await openFixture();
  });
  after(async () => {
    await Promise.all(containers.map((c) => c.remove()));
    await f?.close();
  });

  const repo = 'cd /tmp && rm -rf r && git init -q r && cd r && echo hi > a && git add a';

  it('signs commits and tags with the SSH key when commitSigning is on, and verifies them', async () => {
    const alice = await f.addUser();
    await updateSettings(f.store.db, alice.user.id, { commitSigning: true });
    const ws = await createWorkspace(f.docker, { owner: alice.user.username });
    containers.push(ws);
    await f.service.inject(alice.caller, ws.id);

    await ws.sh(`${repo} && git commit -q -m signed && git tag -m v1 v1`);
    const log = await ws.sh('cd /tmp/r && git log --show-signature -1');
    assert.match(
      log,
      new RegExp(
        `Good "git" signature for ${alice.user.username}@xaresaicoder\\.local with ED25519 key`,
      ),
    );
    await ws.sh('cd /tmp/r && git verify-commit HEAD && git verify-tag v1');
    const fingerprint = alice.publicKey.split(' ').slice(0, 2).join(' ');
    const signers = await ws.sh('cat ~/.config/xares/allowed_signers');
    assert.equal(
      signers,
      `${alice.user.username}@xaresaicoder.local namespaces="git" ${fingerprint}\n`,
    );

    // Another key signing as the same e-mail does not verify.
    await ws.sh(
      `ssh-keygen -q -t ed25519 -N '' -f /tmp/other && cd /tmp/r && echo x > b && git add b && git -c user.signingkey=/tmp/other commit -q -m forged`,
    );
    const forged = await ws.exec(['sh', '-c', 'cd /tmp/r && git verify-commit HEAD']);
    assert.notEqual(forged.code, 0, 'a commit signed by another key verified');

    // clear takes the signing set-up out with everything else
    const cleared = await f.service.clear(alice.caller, ws.id);
    assert.ok(cleared.files.includes('.config/xares/allowed_signers'));
  });

  it('signs nothing by default', async () => {
    const bob = await f.addUser();
    const ws = await createWorkspace(f.docker, { owner: bob.user.username });
    containers.push(ws);
    await f.service.inject(bob.caller, ws.id);
    await ws.sh(`${repo} && git commit -q -m plain`);
    const sig = await ws.sh('cd /tmp/r && git log -1 --format=%G?');
    assert.equal(sig.trim(), 'N');
    assert.equal(
      (await ws.exec(['test', '-e', '/home/coder/.config/xares/allowed_signers'])).code,
      1,
    );
  });
});
