// Device sign-ins (oauth_flows) hold a sealed device code; the service's hourly maintenance,
// which also runs at start, deletes those that ended more than a day ago and keeps the rest.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertFlow } from '../../../service/store/oauthFlows';
import { openTestStore, type TestStore } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';
import { startTestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

tierSuite('sqlite', 'store/oauthFlows: old device sign-ins are purged by the maintenance', () => {
  let store: TestStore;
  before(async () => (store = await openTestStore('sqlite')));
  after(async () => store?.destroy());

  it('deletes flows that expired over a day ago when the service starts, keeps the others', async function () {
    this.timeout(30_000);
    const user = await addTestUser(store.db);
    const flow = (id: string, expiresAt: number) =>
      insertFlow(store.db, {
        id,
        user_id: user.id,
        provider: 'github',
        name: 'default',
        device_code_ciphertext: 'x',
        device_code_iv: 'x',
        device_code_tag: 'x',
        data_key_version: 1,
        interval_seconds: 5,
        next_poll_at: expiresAt,
        expires_at: expiresAt,
        status: 'expired',
        detail: null,
        credential_id: null,
        created_at: expiresAt - 900_000,
      });
    const old = randomUUID();
    const recent = randomUUID();
    await flow(old, Date.now() - 2 * 86_400_000);
    await flow(recent, Date.now() - 3_600_000);
    const svc = await startTestService({ dialect: 'sqlite', database: store });
    try {
      const ids = async () =>
        (await store.db.selectFrom('oauth_flows').select('id').execute()).map((r) => r.id);
      const until = Date.now() + 10_000;
      while ((await ids()).includes(old) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(await ids(), [recent]);
      assert.match(svc.logs(), /"oauthFlows":1.*purged old rows/);
    } finally {
      await svc.close();
    }
  });
});
