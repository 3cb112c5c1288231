import assert from 'node:assert/strict';
import {
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from '../../../service/accounts/passwords';
import { tierSuite } from '../../support/tiers';

tierSuite('unit', 'accounts/passwords', () => {
  it('hashes with scrypt in a self-describing format and verifies', async () => {
    const hash = await hashPassword('s3cret-passphrase');
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.doesNotMatch(hash, /s3cret/);
    assert.equal(await verifyPassword('s3cret-passphrase', hash), true);
    assert.equal(await verifyPassword('s3cret-passphrasE', hash), false);
    assert.equal(needsRehash(hash), false);
  });

  it('salts: the same password hashes differently', async () => {
    assert.notEqual(await hashPassword('same'), await hashPassword('same'));
  });

  it('answers false for damaged or hostile hashes instead of throwing', async () => {
    for (const bad of [
      '',
      'plain',
      'scrypt$1$1$1$$',
      'scrypt$33554432$8$1$AAAA$AAAA',
      'bcrypt$x',
    ]) {
      assert.equal(await verifyPassword('x', bad), false, bad);
    }
    assert.equal(await verifyAgainstDummy('anything'), false);
    assert.equal(needsRehash('scrypt$1024$8$1$AAAA$AAAA'), true);
  });
});
