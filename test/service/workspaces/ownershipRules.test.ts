// The ownership rules without an engine (unit tier): the label secret's validation, the
// signature over owner and name, and resolution of an id among a caller's own containers.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { ConfigError, loadConfig } from '../../../service/config';
import {
  containerName,
  isOwnedBy,
  matchContainer,
  ownerSignature,
} from '../../../service/workspaces/ownership';
import { tierSuite } from '../../support/tiers';

const SECRET = 's'.repeat(40);

tierSuite('unit', 'workspace ownership rules', () => {
  it('reads CREDENTIAL_WORKSPACE_LABEL_SECRET, refusing a short or odd one by name', () => {
    assert.equal(loadConfig({}).workspaceLabelSecret, undefined);
    assert.equal(
      loadConfig({ CREDENTIAL_WORKSPACE_LABEL_SECRET: '' }).workspaceLabelSecret,
      undefined,
    );
    assert.equal(
      loadConfig({ CREDENTIAL_WORKSPACE_LABEL_SECRET: SECRET }).workspaceLabelSecret,
      SECRET,
    );
    for (const bad of ['too-short', `${'x'.repeat(40)} with spaces`, `${'x'.repeat(40)}\n`]) {
      assert.throws(
        () => loadConfig({ CREDENTIAL_WORKSPACE_LABEL_SECRET: bad }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /CREDENTIAL_WORKSPACE_LABEL_SECRET/.test(e.message) &&
          !e.message.includes(bad),
      );
    }
  });

  it('signs owner and name as hex HMAC-SHA256 over "owner\\nname"', () => {
    assert.equal(
      ownerSignature(SECRET, 'alice', 'ws-alice'),
      createHmac('sha256', SECRET).update('alice\nws-alice').digest('hex'),
    );
  });

  it('counts the owner label alone without a secret, and only with its signature with one', () => {
    const labels = { 'xaresaicoder.owner': 'alice' };
    assert.equal(isOwnedBy(labels, 'ws', 'alice', undefined), true);
    assert.equal(isOwnedBy(labels, 'ws', 'bob', undefined), false);
    assert.equal(isOwnedBy(undefined, 'ws', 'alice', undefined), false);
    assert.equal(isOwnedBy(labels, 'ws', 'alice', SECRET), false);
    const sig = ownerSignature(SECRET, 'alice', 'ws');
    const signed = { ...labels, 'xaresaicoder.owner-sig': sig };
    assert.equal(isOwnedBy(signed, 'ws', 'alice', SECRET), true);
    assert.equal(
      isOwnedBy({ ...labels, 'xaresaicoder.owner-sig': sig.toUpperCase() }, 'ws', 'alice', SECRET),
      true,
    );
    assert.equal(isOwnedBy(signed, 'ws2', 'alice', SECRET), false);
    assert.equal(isOwnedBy(signed, null, 'alice', SECRET), false);
    assert.equal(isOwnedBy(signed, 'ws', 'alice', `${SECRET}x`), false);
    for (const odd of [sig.slice(0, 63), `${sig}0`, `${sig.slice(0, 62)}zz`, '']) {
      assert.equal(
        isOwnedBy({ ...labels, 'xaresaicoder.owner-sig': odd }, 'ws', 'alice', SECRET),
        false,
      );
    }
  });

  it("takes Docker's canonical name, without the leading '/'", () => {
    assert.equal(containerName(['/ws']), 'ws');
    assert.equal(containerName(['/other/alias', '/ws']), 'ws');
    assert.equal(containerName('/ws'), 'ws');
    assert.equal(containerName([]), null);
  });

  it('matches a full id, then a name, then a unique id prefix, among the given containers only', () => {
    const a = { Id: `abc1${'0'.repeat(60)}`, Names: ['/abc2'] };
    const b = { Id: `abc2${'0'.repeat(60)}`, Names: ['/b'] };
    assert.equal(matchContainer([a, b], a.Id).found, a);
    // a name wins over an id prefix, as with Docker, but only among these containers
    assert.equal(matchContainer([a, b], 'abc2').found, a);
    assert.equal(matchContainer([b], 'abc2').found, b);
    assert.equal(matchContainer([a, b], '/b').found, b);
    assert.equal(matchContainer([a, b], 'abc1').found, a);
    assert.deepEqual(matchContainer([a, b], 'abc'), { found: null, ambiguous: 2 });
    assert.deepEqual(matchContainer([a, b], 'fff'), { found: null, ambiguous: 0 });
  });
});
