import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { loadConfig } from '../../../service/config';
import {
  KeyMismatchError,
  MasterKey,
  MasterKeyError,
  defaultKeyFile,
  resolveMasterKey,
  verifyMasterKey,
} from '../../../service/crypto/masterKey';
import { forEachDialect } from '../../support/databases';
import { tierSuite } from '../../support/tiers';

const HEX = 'ab'.repeat(32);

tierSuite('unit', 'crypto/masterKey resolution', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xares-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (env: Record<string, string>) =>
    loadConfig({ CREDENTIAL_DATABASE_URL: `sqlite:${path.join(dir, 'data', 'c.db')}`, ...env });

  it('takes CREDENTIAL_ENCRYPTION_KEY and never prints the key bytes', () => {
    const { key, source, createdFile } = resolveMasterKey(
      config({ CREDENTIAL_ENCRYPTION_KEY: HEX }),
    );
    assert.equal(source, 'CREDENTIAL_ENCRYPTION_KEY');
    assert.equal(createdFile, undefined);
    assert.match(key.id, /^[0-9a-f]{32}$/);
    assert.equal(key.id, MasterKey.fromHex(HEX, 'x').id, 'the id is stable');
    for (const printed of [String(key), JSON.stringify({ key }), inspect(key), `${key}`]) {
      assert.doesNotMatch(printed, /abab/);
      assert.match(printed, /redacted/);
    }
    assert.ok(!HEX.includes(key.id));
  });

  it('refuses malformed keys with a clear message', () => {
    for (const bad of ['abc', 'zz'.repeat(32), 'ab'.repeat(31), 'ab'.repeat(33)]) {
      assert.throws(
        () => resolveMasterKey(config({ CREDENTIAL_ENCRYPTION_KEY: bad })),
        (err: unknown) =>
          err instanceof MasterKeyError && /64 hexadecimal characters/.test(err.message),
      );
    }
  });

  it('reads CREDENTIAL_ENCRYPTION_KEY_FILE and reports a missing file', () => {
    const file = path.join(dir, 'k');
    writeFileSync(file, HEX + '\n');
    const { key } = resolveMasterKey(config({ CREDENTIAL_ENCRYPTION_KEY_FILE: file }));
    assert.equal(key.id, MasterKey.fromHex(HEX, 'x').id);
    assert.throws(
      () => resolveMasterKey(config({ CREDENTIAL_ENCRYPTION_KEY_FILE: path.join(dir, 'none') })),
      (err: unknown) =>
        err instanceof MasterKeyError && /cannot read the key file/.test(err.message),
    );
    assert.throws(
      () =>
        resolveMasterKey(
          config({ CREDENTIAL_ENCRYPTION_KEY_FILE: file, CREDENTIAL_ENCRYPTION_KEY: HEX }),
        ),
      MasterKeyError,
    );
  });

  it('creates master.key (0600) next to the SQLite file once, then reuses it', () => {
    const first = resolveMasterKey(config({}));
    const expected = defaultKeyFile(path.join(dir, 'data', 'c.db'));
    assert.equal(first.createdFile, expected);
    assert.equal(statSync(expected).mode & 0o777, 0o600);
    assert.match(readFileSync(expected, 'utf8'), /^[0-9a-f]{64}\n$/);
    const second = resolveMasterKey(config({}));
    assert.equal(second.createdFile, undefined);
    assert.equal(second.key.id, first.key.id);
  });

  it('refuses MySQL without a key', () => {
    assert.throws(
      () =>
        resolveMasterKey(loadConfig({ CREDENTIAL_DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/db' })),
      (err: unknown) => err instanceof MasterKeyError && /with MySQL/.test(err.message),
    );
  });
});

forEachDialect('crypto/masterKey check', (ctx) => {
  it('accepts the key the database was created with and refuses another one', async () => {
    assert.equal(await verifyMasterKey(ctx().db, ctx().masterKey), 'verified');
    await assert.rejects(verifyMasterKey(ctx().db, MasterKey.generate()), (err: unknown) => {
      assert.ok(err instanceof KeyMismatchError);
      assert.match(err.message, /does not match the one this database was created with/);
      return true;
    });
    const meta = await ctx().db.selectFrom('service_meta').selectAll().execute();
    assert.doesNotMatch(JSON.stringify(meta), new RegExp(ctx().masterKeyHex));
  });
});
