import assert from 'node:assert/strict';
import {
  createCredential,
  findCredentialByName,
  findCredentialInfo,
  findCredentialInfoByName,
  listCredentials,
} from '../../../service/store/credentials';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

// The column names that hold a secret or its seal: only the finders meant for revealing return them.
const SECRET_COLUMN = /^(secret_|refresh_(ciphertext|iv|tag|data_key_version)$|data_key_version$)/;

forEachDialect('store/credentials finders (secret columns only where the name says so)', (ctx) => {
  it('findCredentialInfo, findCredentialInfoByName and listCredentials return no secret column', async () => {
    const user = await addTestUser(ctx().db);
    const key = { type: 'git_token', provider: 'github', name: 'default' } as const;
    const info = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      ...key,
      secret: 'ghp_finder_secret_1234',
    });
    const rows = [
      info,
      await findCredentialInfo(ctx().db, user.id, info.id),
      await findCredentialInfoByName(ctx().db, user.id, key),
      ...(await listCredentials(ctx().db, user.id)),
    ];
    for (const row of rows) {
      assert.ok(row);
      assert.deepEqual(
        Object.keys(row).filter((c) => SECRET_COLUMN.test(c)),
        [],
        'a finder without secret columns returned one',
      );
    }
    // The revealing finder does return them: the pattern above is not vacuous.
    const full = await findCredentialByName(ctx().db, user.id, key);
    assert.ok(full && Object.keys(full).some((c) => SECRET_COLUMN.test(c)));
  });
});
