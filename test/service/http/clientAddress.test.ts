// Which address the limiter and the audit log take from a request: the peer, unless the peer is
// a trusted proxy, then the rightmost X-Forwarded-For hop that is not one.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, parseTrustedProxies } from '../../../service/config';
import { clientAddressResolver } from '../../../service/http/clientAddress';
import { tierSuite } from '../../support/tiers';

const req = (peer: string, xff?: string | string[]) => ({
  socket: { remoteAddress: peer },
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
});

tierSuite('unit', 'http/clientAddress (CREDENTIAL_TRUSTED_PROXIES)', () => {
  it('trusts nobody by default: no resolver, the peer is the client', () => {
    assert.equal(clientAddressResolver([]), undefined);
    assert.deepEqual(loadConfig({}).trustedProxies, []);
  });

  it('takes the rightmost hop that is not a trusted proxy', () => {
    const of = clientAddressResolver(parseTrustedProxies('10.0.0.0/8, ::1'));
    assert.ok(of);
    assert.equal(of(req('10.0.0.5', '6.6.6.6, 203.0.113.9')), '203.0.113.9');
    assert.equal(of(req('10.0.0.5', '6.6.6.6, 203.0.113.9, 10.1.2.3')), '203.0.113.9');
    assert.equal(of(req('::1', ['1.1.1.1', '198.51.100.1:4711'])), '198.51.100.1');
    assert.equal(of(req('::ffff:10.0.0.5', '[2001:db8::1]:443')), '2001:db8::1');
    // An untrusted peer's header is ignored; garbage stops the walk at the last trusted hop.
    assert.equal(of(req('192.0.2.1', '10.0.0.1')), '192.0.2.1');
    assert.equal(of(req('10.0.0.5', 'evil, 10.0.0.7')), '10.0.0.7');
    assert.equal(of(req('10.0.0.5')), '10.0.0.5');
  });

  it('refuses an entry that is neither an address nor a CIDR range, naming it', () => {
    assert.throws(
      () => loadConfig({ CREDENTIAL_TRUSTED_PROXIES: '10.0.0.1, proxy.local' }),
      (err: unknown) => err instanceof ConfigError && /'proxy\.local'/.test(err.message),
    );
    assert.throws(() => parseTrustedProxies('10.0.0.0/33'));
    assert.equal(parseTrustedProxies('fd00::/8 127.0.0.1').length, 2);
  });
});
