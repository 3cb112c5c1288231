// The gateway's time and concurrency limits: an idle timeout that never cuts a stream still
// flowing, a per-user bound on calls in flight (429 beyond), and a caller that goes away cancels
// the provider's work.
import assert from 'node:assert/strict';
import http from 'node:http';
import { tierSuite } from '../../support/tiers';
import { type GatewayHarness, startGatewayHarness } from './harness';
import { rawRequest } from './rawHttp';

const streamBody = JSON.stringify({ model: 'gpt-5-mini', messages: [], stream: true });

tierSuite('sqlite', 'AI gateway: time and concurrency limits', () => {
  let h: GatewayHarness;
  let token = '';

  before(async function () {
    this.timeout(30_000);
    h = await startGatewayHarness({
      CREDENTIAL_AI_IDLE_TIMEOUT: '0.4',
      CREDENTIAL_AI_CONCURRENCY: '2',
    });
    ({ token } = await h.mint());
  });
  after(async () => h?.close());
  beforeEach(() => {
    h.fake.setFaultAll(null);
    h.fake.openai.resetReply();
  });

  const post = (body = streamBody) =>
    rawRequest(h.svc.url, '/ai/openai/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });

  it('a stream longer than the idle timeout is not cut while it flows', async () => {
    h.fake.openai.reply = { ...h.fake.openai.reply, chunks: 12, intervalMs: 150 };
    const res = await post();
    assert.equal(res.status, 200);
    assert.ok(res.text.includes('data: [DONE]'), res.text.slice(-200));
    assert.ok(res.chunkTimes.at(-1)! > 1500, 'the stream was shorter than meant');
  });

  it('a provider that stays silent is answered 504 after the idle timeout', async () => {
    h.fake.openai.setFault({ kind: 'slow', delayMs: 5000 });
    const started = Date.now();
    const res = await post();
    assert.equal(res.status, 504);
    assert.ok(Date.now() - started < 3000);
    assert.match(res.text, /did not answer in time/);
  });

  it('bounds the calls of one user in flight (429 beyond), and frees the slots after', async () => {
    h.fake.openai.reply = { ...h.fake.openai.reply, chunks: 4, intervalMs: 250 };
    const running = [post(), post()];
    await new Promise((r) => setTimeout(r, 200));
    const third = await post();
    assert.equal(third.status, 429);
    assert.equal(third.headers['retry-after'], '1');
    for (const r of await Promise.all(running)) assert.equal(r.status, 200);
    h.fake.openai.resetReply();
    assert.equal((await post()).status, 200);
  });

  it('a caller that disconnects cancels the upstream request', async () => {
    h.fake.openai.reply = { ...h.fake.openai.reply, chunks: 40, intervalMs: 100 };
    const before = h.fake.openai.streamsAborted;
    const url = new URL(h.svc.url);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/ai/openai/chat/completions',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          agent: false,
        },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.setTimeout(5000, () => reject(new Error('no first chunk')));
      req.end(streamBody);
    });
    const deadline = Date.now() + 2000;
    while (h.fake.openai.streamsAborted === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(h.fake.openai.streamsAborted, before + 1, 'the provider kept streaming');
    // The slot of the cancelled call is free again.
    h.fake.openai.resetReply();
    assert.equal((await post()).status, 200);
    assert.equal((await post()).status, 200);
  });
});
