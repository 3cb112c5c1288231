// Settings, SSH key registrations and injection records: small repositories, one suite.
import assert from 'node:assert/strict';
import { createCredential } from '../../../service/store/credentials';
import {
  findActiveInjection,
  listActiveInjections,
  listActiveInjectionsForWorkspace,
  markInjectionsCleared,
  recordInjection,
} from '../../../service/store/injections';
import {
  deleteRegistrations,
  listRegistrations,
  upsertRegistration,
} from '../../../service/store/registrations';
import { DEFAULT_SETTINGS, getSettings, updateSettings } from '../../../service/store/settings';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

forEachDialect('store/settings, registrations, injections', (ctx) => {
  it('settings start at the defaults and keep what is not changed', async () => {
    const user = await addTestUser(ctx().db);
    assert.deepEqual(await getSettings(ctx().db, user.id), {
      autoInject: false,
      auditLogging: true,
      clearOnSessionTimeout: false,
      aiKeyDelivery: 'gateway',
    });
    assert.deepEqual(DEFAULT_SETTINGS.autoInject, false);
    await updateSettings(ctx().db, user.id, { clearOnSessionTimeout: true });
    const after = await updateSettings(ctx().db, user.id, {
      autoInject: true,
      auditLogging: undefined,
    });
    assert.deepEqual(after, {
      autoInject: true,
      auditLogging: true,
      clearOnSessionTimeout: true,
      aiKeyDelivery: 'gateway',
    });
    assert.deepEqual(await getSettings(ctx().db, user.id), after);
    const env = await updateSettings(ctx().db, user.id, { aiKeyDelivery: 'environment' });
    assert.equal(env.aiKeyDelivery, 'environment');
    assert.equal((await getSettings(ctx().db, user.id)).autoInject, true);
  });

  it('records registrations per key and provider, only for the owner', async () => {
    const user = await addTestUser(ctx().db);
    const other = await addTestUser(ctx().db);
    const key = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      type: 'ssh_key',
      provider: 'ssh',
      name: 'default',
      secret: 'priv',
      hint: 'ssh-ed25519',
    });
    const reg = {
      credential_id: key.id,
      provider: 'github' as const,
      status: 'registered' as const,
      detail: null,
      remote_id: '42',
      checked_at: 1,
    };
    assert.equal(await upsertRegistration(ctx().db, other.id, reg), false);
    assert.equal(await upsertRegistration(ctx().db, user.id, reg), true);
    assert.equal(
      await upsertRegistration(ctx().db, user.id, {
        ...reg,
        status: 'already_registered',
        checked_at: 2,
      }),
      true,
    );
    await upsertRegistration(ctx().db, user.id, {
      ...reg,
      provider: 'gitlab',
      status: 'error',
      detail: 'HTTP 401',
    });
    const regs = await listRegistrations(ctx().db, user.id);
    assert.deepEqual(
      regs.map((r) => [r.provider, r.status]),
      [
        ['github', 'already_registered'],
        ['gitlab', 'error'],
      ],
    );
    assert.deepEqual(await listRegistrations(ctx().db, other.id), []);
    assert.equal(await deleteRegistrations(ctx().db, other.id, key.id), 0);
    assert.equal(await deleteRegistrations(ctx().db, user.id, key.id), 2);
  });

  it('keeps injection manifests until cleared', async () => {
    const user = await addTestUser(ctx().db);
    const ws = `c-${user.id.slice(0, 12)}`;
    const manifest = [{ path: '.ssh/id_ed25519', sha256: 'ab', mode: 0o600 }];
    await recordInjection(ctx().db, {
      userId: user.id,
      workspaceId: ws,
      workspaceName: 'w',
      sessionId: null,
      manifest,
      injectedAt: 1,
    });
    const latest = await recordInjection(ctx().db, {
      userId: user.id,
      workspaceId: ws,
      workspaceName: 'w',
      sessionId: null,
      manifest,
      injectedAt: 2,
    });
    assert.equal((await findActiveInjection(ctx().db, user.id, ws))?.id, latest.id);
    assert.deepEqual((await findActiveInjection(ctx().db, user.id, ws))?.manifest, manifest);
    assert.equal((await listActiveInjections(ctx().db, user.id)).length, 2);
    assert.equal((await listActiveInjectionsForWorkspace(ctx().db, ws)).length, 2);
    const other = await addTestUser(ctx().db);
    assert.equal(await findActiveInjection(ctx().db, other.id, ws), undefined);
    assert.equal(await markInjectionsCleared(ctx().db, other.id, ws), 0);
    assert.equal(await markInjectionsCleared(ctx().db, user.id, ws), 2);
    assert.equal(await findActiveInjection(ctx().db, user.id, ws), undefined);
  });
});
