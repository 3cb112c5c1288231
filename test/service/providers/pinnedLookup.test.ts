// Provider calls never reach a link-local, metadata or unspecified address (issue 11), also when
// a harmless-looking host name resolves to one; and the address checked is the address used:
// the name is resolved once, so a DNS answer that changes between check and connect (DNS
// rebinding) changes nothing. DNS itself cannot be pointed at 169.254.169.254 on this machine,
// so a resolver stands in for it; the HTTP server and the connection are real.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { providerFetch, type Resolver } from '../../../service/providers/http';
import { tierSuite } from '../../support/tiers';

tierSuite('unit', 'provider calls resolve once and never reach metadata addresses', () => {
  let server: http.Server;
  let port = 0;
  let hits = 0;

  before(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-oauth-scopes', 'repo, admin:public_key');
      res.end(JSON.stringify({ login: 'someone' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A resolver answering `answers` in turn (the last one repeats), counting its calls. */
  function resolver(...answers: string[][]): Resolver & { calls: number } {
    const fn = Object.assign(
      async (_host: string) => {
        const list = answers[Math.min(fn.calls, answers.length - 1)] ?? [];
        fn.calls++;
        return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
      { calls: 0 },
    );
    return fn;
  }

  it('answers as fetch did: status, headers and JSON', async () => {
    const res = await providerFetch(`http://127.0.0.1:${port}/user`);
    assert.ok(res.ok);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-oauth-scopes'), 'repo, admin:public_key');
    assert.deepEqual(res.json, { login: 'someone' });
  });

  for (const address of ['169.254.169.254', 'fd00:ec2::254', '0.0.0.0', '::ffff:169.254.169.254']) {
    it(`refuses a name resolving to ${address}, before connecting`, async () => {
      const before = hits;
      const resolve = resolver([address]);
      const res = await providerFetch(`http://metadata.example:${port}/latest/meta-data`, {
        resolve,
      });
      assert.equal(res.ok, false);
      assert.ok(!res.ok && /resolves to .*(metadata|link-local|unspecified)/.test(res.detail));
      assert.equal(hits, before);
    });
  }

  it('refuses a name with a good and a forbidden address', async () => {
    const res = await providerFetch(`http://mixed.example:${port}/`, {
      resolve: resolver(['127.0.0.1', '169.254.169.254']),
    });
    assert.equal(res.ok, false);
  });

  it('refuses IP literals of those kinds in any URL (configured base URLs too)', async () => {
    for (const url of ['http://169.254.169.254/', 'http://[fd00:ec2::254]/', 'http://0.0.0.0:1/']) {
      const res = await providerFetch(url);
      assert.equal(res.ok, false, url);
      assert.ok(!res.ok && /address is/.test(res.detail), url);
    }
  });

  it('resolves once and connects to the address it checked (no DNS rebinding)', async () => {
    const before = hits;
    // First answer loopback (allowed), any later one the metadata address.
    const resolve = resolver(['127.0.0.1'], ['169.254.169.254']);
    const res = await providerFetch(`http://rebind.example:${port}/user`, { resolve });
    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(resolve.calls, 1);
    assert.equal(hits, before + 1);
  });

  it('loopback and private networks stay reachable', async () => {
    const res = await providerFetch(`http://git.internal.example:${port}/user`, {
      resolve: resolver(['127.0.0.1']),
    });
    assert.ok(res.ok);
  });
});
