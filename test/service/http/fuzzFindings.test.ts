// Regressions the fuzzer (fuzz.test.ts) found, pinned as plain tests: an oversized request line
// is answered in words by the server itself, and an unknown procedure's answer does not repeat
// kilobytes of the caller's path.
import assert from 'node:assert/strict';
import net from 'node:net';
import { forEachServiceDialect } from '../../support/service';

/** Sends raw bytes and returns the whole answer (the server closes the connection). */
function raw(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.on('data', (c) => (answer += c.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

forEachServiceDialect('requests the fuzzer found', (ctx) => {
  it('a request line over 16 KiB gets 431 with a JSON message, not a bare status line', async () => {
    const answer = await raw(
      ctx().svc.url,
      `GET /trpc/auth.me?input=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 431 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { message: string };
    assert.match(body.message, /too large/);
    assert.ok(!answer.includes('xxxxxxxxxx'), 'the request is not echoed');
  });

  it('bytes that are not HTTP get 400 with a JSON message', async () => {
    const answer = await raw(ctx().svc.url, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /not valid HTTP/);
  });

  it('an unknown procedure answers 404 naming at most 60 characters of it', async () => {
    const name = 'y'.repeat(5000);
    for (const path of [`/trpc/${name}`, `/trpc/auth.me,${name}?batch=1`]) {
      const res = await ctx().svc.request('GET', path);
      assert.equal(res.status, 404);
      const body = res.body as { error: { message: string; data: { code: string } } };
      assert.equal(body.error.data.code, 'NOT_FOUND');
      assert.match(body.error.message, /^There is no procedure named "y{60}…"\.$/);
      assert.ok(res.text.length < 300, `short answer: ${res.text.length} characters`);
    }
  });
});
