// Who a container belongs to (docker tier, CONTRACT.md section 5): auto-inject is opt-in, an
// owner label alone is not enough when CREDENTIAL_WORKSPACE_LABEL_SECRET is set, ids resolve only
// among the caller's own containers (a colliding name or prefix blocks nobody, another user's
// container answers NOT_FOUND), and a workspace session acts only on its own container.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { AppError } from '../../../service/errors';
import { updateSettings } from '../../../service/store/settings';
import type { WorkspaceCaller } from '../../../service/workspaces';
import { createWorkspace, waitFor, type TestWorkspace } from '../../support/docker';
import { tierSuite } from '../../support/tiers';
import { addAiKey, openFixture, type Fixture } from './fixture';

const HOME = '/home/coder';
const SECRET = `label-secret-${randomBytes(24).toString('hex')}`;

const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

/** The signature as the README tells operators to compute it, with openssl. */
function opensslSig(secret: string, owner: string, name: string): string {
  return execFileSync(
    'sh',
    [
      '-c',
      `printf '%s\\n%s' "$OWNER" "$NAME" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //'`,
    ],
    { env: { PATH: process.env.PATH, OWNER: owner, NAME: name, SECRET: secret } },
  )
    .toString()
    .trim();
}

const randomContainerName = () => `xares-test-${randomBytes(5).toString('hex')}`;

tierSuite('docker', 'workspace ownership', function () {
  this.timeout(180_000);
  const containers: TestWorkspace[] = [];
  const track = (w: TestWorkspace) => (containers.push(w), w);
  const has = async (ws: TestWorkspace, p: string) =>
    (await ws.exec(['test', '-e', p], { user: 'root' })).code === 0;
  const injected = (ws: TestWorkspace) => has(ws, `${HOME}/.config/xares`);

  after(async () => {
    await Promise.all(containers.map((c) => c.remove()));
  });

  describe('without a label secret', () => {
    let f: Fixture;
    before(async () => {
      f = await openFixture();
      f.service.start();
      await waitFor(async () => f.service.following, 10_000, 'the docker event stream');
    });
    after(async () => {
      await f?.close();
    });

    it('gives a new user’s starting container nothing until the user turns autoInject on', async () => {
      const alice = await f.addUser();
      await addAiKey(f, alice.user.id, 'openai', 'sk-alice-openai');
      const first = track(
        await createWorkspace(f.docker, { owner: alice.user.username, start: false }),
      );
      await first.container.start();
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(await injected(first), false, 'injected before the user opted in');
      assert.equal(await has(first, `${HOME}/.ssh/id_ed25519`), false);
      const sessions = await f.store.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', alice.user.id)
        .execute();
      assert.deepEqual(sessions, [], 'a workspace token was minted without the user asking');

      // Opting in counts at once (no cached setting): the very next start is injected. The
      // bound is loose for a loaded test machine; the log line shows the real time.
      await updateSettings(f.store.db, alice.user.id, { autoInject: true });
      const next = track(
        await createWorkspace(f.docker, { owner: alice.user.username, start: false }),
      );
      const startedAt = Date.now();
      await next.container.start();
      const elapsed = await waitFor(
        async () => has(next, `${HOME}/.config/xares/workspace-token`),
        5_000,
        'the opted-in start to be injected',
      );
      const row = await f.store.db
        .selectFrom('audit_log')
        .select('timestamp')
        .where('user_id', '=', alice.user.id)
        .where('action', '=', 'inject')
        .where('credential_id', 'is', null)
        .where('outcome', '=', 'success')
        .executeTakeFirstOrThrow();
      console.log(
        `      auto-inject after opting in: done ${Number(row.timestamp) - startedAt} ms after docker start was asked, files seen after ${elapsed} ms`,
      );
      assert.ok(await has(next, `${HOME}/.ssh/id_ed25519`));
      // Opting in acts on the next start, not on containers that were already running.
      assert.equal(await injected(first), false);
    });

    it("resolves an id only among the caller's containers: a colliding name blocks nobody, another's is NOT_FOUND", async () => {
      const alice = await f.addUser();
      const bob = await f.addUser();
      await addAiKey(f, bob.user.id, 'openai', 'sk-bob-openai');
      const mine = track(await createWorkspace(f.docker, { owner: alice.user.username }));
      // Bob names containers after prefixes of alice's id: Docker's own lookup prefers a name
      // to an id prefix, so those names would take alice's prefix for themselves.
      const squatter = track(
        await createWorkspace(f.docker, {
          owner: bob.user.username,
          name: mine.id.slice(0, 12),
        }),
      );
      track(await createWorkspace(f.docker, { name: mine.id.slice(0, 8) }));

      const byPrefix = await f.service.inject(alice.caller, mine.id.slice(0, 12));
      assert.equal(byPrefix.workspaceId, mine.id);
      const byShortPrefix = await f.service.inject(alice.caller, mine.id.slice(0, 8));
      assert.equal(byShortPrefix.workspaceId, mine.id);
      assert.equal((await f.service.inject(alice.caller, mine.name)).workspaceId, mine.id);
      assert.equal(await injected(squatter), false);

      const snapshot = () => mine.sh(`cd ${HOME} && find . -printf '%p %m %s %T@\\n' | sort`);
      const before = await snapshot();
      // Bob's attempts on alice's container by full id, name and prefix: as if it did not exist.
      for (const id of [mine.id, mine.name, mine.id.slice(0, 20)]) {
        await assert.rejects(f.service.inject(bob.caller, id), isCode('NOT_FOUND'));
        await assert.rejects(f.service.clear(bob.caller, id), isCode('NOT_FOUND'));
      }
      await assert.rejects(
        f.service.inject(bob.caller, 'no-such-container-xyz'),
        isCode('NOT_FOUND'),
      );
      assert.equal(await snapshot(), before);
      const denied = await f.store.db
        .selectFrom('audit_log')
        .select(['action', 'workspace_id'])
        .where('user_id', '=', bob.user.id)
        .where('outcome', '=', 'denied')
        .execute();
      assert.deepEqual(
        denied.map((d) => `${d.action} ${d.workspace_id}`).sort(),
        [
          ...[mine.id, mine.name, mine.id.slice(0, 20)].flatMap((id) => [
            `clear ${id}`,
            `inject ${id}`,
          ]),
          'inject no-such-container-xyz',
        ].sort(),
      );
      // bob's own container under alice's prefix is his, and only his
      assert.equal(
        (await f.service.inject(bob.caller, mine.id.slice(0, 12))).workspaceId,
        squatter.id,
      );
      assert.deepEqual(
        (await f.service.list(bob.caller)).map((w) => w.id),
        [squatter.id],
      );
    });

    it('a workspace session acts only on its own container, whatever id it passes', async () => {
      const alice = await f.addUser();
      const bob = await f.addUser();
      const own = track(await createWorkspace(f.docker, { owner: alice.user.username }));
      const sibling = track(await createWorkspace(f.docker, { owner: alice.user.username }));
      const bobs = track(await createWorkspace(f.docker, { owner: bob.user.username }));
      await f.service.inject(alice.caller, own.id);
      const token = await own.sh('cat ~/.config/xares/workspace-token');
      const live = await f.sessionOf(token);
      assert.ok(live);
      const wsCaller: WorkspaceCaller = {
        ...alice.caller,
        sessionKind: 'workspace',
        sessionId: live.session.id,
        workspaceId: own.id,
      };
      // A name squatting on the prefix the workspace knows itself by (its hostname).
      track(await createWorkspace(f.docker, { name: own.id.slice(0, 12) }));
      const again = await f.service.inject(wsCaller, own.id.slice(0, 12));
      assert.equal(again.workspaceId, own.id);
      assert.equal((await f.service.inject(wsCaller, own.name)).workspaceId, own.id);

      // Another container, its owner's or someone else's, existing or not: the same refusal.
      const refusals: string[] = [];
      for (const id of [sibling.id, sibling.name, bobs.id, bobs.name, 'no-such-container-xyz']) {
        await assert.rejects(f.service.inject(wsCaller, id), (e: unknown) => {
          assert.ok(e instanceof AppError);
          refusals.push(`${e.code} ${e.message}`);
          return true;
        });
      }
      assert.equal(new Set(refusals).size, 1, refusals.join('\n'));
      assert.match(refusals[0]!, /^FORBIDDEN /);
      assert.equal(await injected(sibling), false);
      assert.equal(await injected(bobs), false);
      await assert.rejects(f.service.clear(wsCaller, own.id), isCode('FORBIDDEN'));
      assert.deepEqual(
        (await f.service.list(wsCaller)).map((w) => w.id),
        [own.id],
      );
    });
  });

  describe('with CREDENTIAL_WORKSPACE_LABEL_SECRET', () => {
    let f: Fixture;
    before(async () => {
      f = await openFixture({ CREDENTIAL_WORKSPACE_LABEL_SECRET: SECRET });
      f.service.start();
      await waitFor(async () => f.service.following, 10_000, 'the docker event stream');
    });
    after(async () => {
      await f?.close();
    });

    it('the documented openssl line computes the signature the service checks', () => {
      const expected = createHmac('sha256', SECRET).update('alice\nws-alice-1').digest('hex');
      assert.equal(opensslSig(SECRET, 'alice', 'ws-alice-1'), expected);
    });

    it('a container is the owner’s only with a valid xaresaicoder.owner-sig', async () => {
      const alice = await f.addUser();
      const owner = alice.user.username;
      await updateSettings(f.store.db, alice.user.id, { autoInject: true });
      const signed = (name: string, sig: string) =>
        createWorkspace(f.docker, {
          owner,
          name,
          start: false,
          labels: { 'xaresaicoder.owner-sig': sig },
        });
      const goodName = randomContainerName();
      const good = track(await signed(goodName, opensslSig(SECRET, owner, goodName)));
      const unsigned = track(await createWorkspace(f.docker, { owner, start: false }));
      const wrongSecretName = randomContainerName();
      const wrongSecret = track(
        await signed(wrongSecretName, opensslSig(`${SECRET}-other`, owner, wrongSecretName)),
      );
      // a signature copied from another container (another name) does not carry over
      const copied = track(
        await signed(randomContainerName(), opensslSig(SECRET, owner, goodName)),
      );
      // the name is Docker's name without its leading '/'
      const slashName = randomContainerName();
      const slashed = track(await signed(slashName, opensslSig(SECRET, owner, `/${slashName}`)));
      // a valid signature for another owner does not make the container alice's
      const otherName = randomContainerName();
      const forOther = track(await signed(otherName, opensslSig(SECRET, `${owner}x`, otherName)));
      const bad = [unsigned, wrongSecret, copied, slashed, forOther];

      for (const ws of [good, ...bad]) await ws.container.start();
      await waitFor(
        async () => has(good, `${HOME}/.config/xares/workspace-token`),
        10_000,
        'the signed container to be auto-injected',
      );
      await new Promise((r) => setTimeout(r, 1500));
      for (const ws of bad) assert.equal(await injected(ws), false, `${ws.name} was injected`);
      // alice, who opted in, can see that containers claiming to be hers were turned away
      const refused = await f.store.db
        .selectFrom('audit_log')
        .select('workspace_id')
        .where('user_id', '=', alice.user.id)
        .where('action', '=', 'inject')
        .where('outcome', '=', 'denied')
        .where('detail', 'like', 'not auto-injected%')
        .execute();
      assert.deepEqual(refused.map((r) => r.workspace_id).sort(), bad.map((w) => w.id).sort());

      assert.deepEqual(
        (await f.service.list(alice.caller)).map((w) => w.id),
        [good.id],
      );
      for (const ws of bad) {
        await assert.rejects(f.service.inject(alice.caller, ws.id), isCode('NOT_FOUND'));
        await assert.rejects(f.service.inject(alice.caller, ws.name), isCode('NOT_FOUND'));
      }
      for (const ws of bad) assert.equal(await injected(ws), false, `${ws.name} was injected`);
      assert.equal((await f.service.inject(alice.caller, good.name)).workspaceId, good.id);
      const sessions = await f.store.db
        .selectFrom('sessions')
        .select('workspace_id')
        .where('user_id', '=', alice.user.id)
        .execute();
      assert.deepEqual([...new Set(sessions.map((s) => s.workspace_id))], [good.id]);
    });
  });
});
