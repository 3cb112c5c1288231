// Requests a client library would never send but an attacker (or a broken proxy) does, over
// real HTTP on /trpc and the REST mirror: a chunked body that grows past the limit, and
// malformed %-escapes in the path or the query. Each is the client's fault: 413 or 400, never 500.
import assert from 'node:assert/strict';
import http from 'node:http';
import { forEachServiceDialect } from '../../support/service';

interface RawAnswer {
  status: number;
  body: string;
}

/** Sends a body in chunks without Content-Length (Transfer-Encoding: chunked). */
function chunked(url: string, path: string, token: string, chunks: string[]): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

forEachServiceDialect('malformed requests over HTTP', (ctx) => {
  let token = '';
  before(async function () {
    this.timeout(20_000);
    await ctx().svc.createUser('raw', 'raw-password-1');
    token = await ctx().svc.login('raw', 'raw-password-1');
  });

  it('answers 413 for a chunked body that grows past 64 KiB, on tRPC and REST', async () => {
    const big = JSON.stringify({ provider: 'github', token: 'x'.repeat(70 * 1024) });
    const chunks = [big.slice(0, 30_000), big.slice(30_000, 60_000), big.slice(60_000)];
    const trpc = await chunked(ctx().svc.url, '/trpc/tokens.create', token, chunks);
    assert.equal(trpc.status, 413, trpc.body);
    const rest = await chunked(ctx().svc.url, '/api/credentials/tokens', token, chunks);
    assert.equal(rest.status, 413, rest.body);
    assert.match(rest.body, /larger than 64 KiB/);
    // The service is fine afterwards.
    const list = await ctx().svc.request('GET', '/api/credentials/tokens', { token });
    assert.equal(list.status, 200);
  });

  const malformed: Array<[string, string]> = [
    ['GET', '/trpc/auth.me%'],
    ['GET', '/trpc/auth.me?input=%E0%A4%A'],
    ['GET', '/trpc/tokens.list?input=%7B%7D%zz'],
    ['POST', '/trpc/tokens.create?x=%'],
    ['GET', '/api/credentials/ssh-keys/%'],
    ['DELETE', '/api/credentials/tokens/%zz'],
    ['GET', '/api/credentials/tokens?type=%E0%A4%A'],
    ['GET', '/api/credentials/audit?limit=%'],
  ];
  for (const [method, path] of malformed) {
    it(`answers 400 for a malformed %-escape: ${method} ${path}`, async () => {
      const res = await ctx().svc.request(method, path, {
        token,
        ...(method === 'POST' ? { body: { provider: 'openai', token: 'sk-x' } } : {}),
      });
      assert.equal(res.status, 400, res.text);
      assert.match(res.text, /malformed %-escape|Invalid URL-encoding/);
      assert.doesNotMatch(res.text, /URIError|\bat \w/);
    });
  }
});
