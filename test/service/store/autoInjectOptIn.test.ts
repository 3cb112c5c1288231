// Migration 0003 (autoInject became opt-in): rows written before, where auto_inject = 1 may be
// only the old default, start off; the other settings stay as they were.
import assert from 'node:assert/strict';
import { up } from '../../../service/store/migrations/0003_autoinject_opt_in';
import { getSettings, updateSettings } from '../../../service/store/settings';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

forEachDialect('store/migration 0003_autoinject_opt_in', (ctx) => {
  it('turns auto-injection off in every stored row and keeps the other settings', async () => {
    const on = await addTestUser(ctx().db);
    const off = await addTestUser(ctx().db);
    const none = await addTestUser(ctx().db);
    await updateSettings(ctx().db, on.id, { autoInject: true, auditLogging: false });
    await updateSettings(ctx().db, off.id, { autoInject: false, clearOnSessionTimeout: true });
    await up(ctx().db);
    assert.deepEqual(await getSettings(ctx().db, on.id), {
      autoInject: false,
      auditLogging: false,
      clearOnSessionTimeout: false,
      aiKeyDelivery: 'gateway',
    });
    assert.deepEqual(await getSettings(ctx().db, off.id), {
      autoInject: false,
      auditLogging: true,
      clearOnSessionTimeout: true,
      aiKeyDelivery: 'gateway',
    });
    // a user without a row has the default, which is off too
    assert.equal((await getSettings(ctx().db, none.id)).autoInject, false);
  });
});
