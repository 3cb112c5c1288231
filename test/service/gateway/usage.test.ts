// Token usage read from answers as they stream: every provider's shape, whatever the chunking
// (a marker cut in two by a chunk boundary included), and never more than one line held. And
// the audit rows of calls: written before the key is used (fail closed), completed after, never
// counted as secret reads by the suspicious-activity heuristic.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { requestModel, UsageMeter } from '../../../service/gateway/usage';
import { tierSuite } from '../../support/tiers';
import { type GatewayHarness, startGatewayHarness } from './harness';
import { rawRequest } from './rawHttp';

const anthropicStream = [
  'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":12,"output_tokens":1}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"hi"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":34}}\n\n',
].join('');

function feedInPieces(meter: UsageMeter, text: string, size: number): void {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) meter.feed(bytes.subarray(i, i + size));
}

tierSuite('unit', 'AI gateway usage meter', () => {
  it('reads Anthropic usage from a stream cut at every possible size', () => {
    for (const size of [1, 2, 3, 5, 7, 64, 4096]) {
      const meter = new UsageMeter('text/event-stream', null);
      feedInPieces(meter, anthropicStream, size);
      assert.deepEqual(
        meter.finish(),
        { model: 'claude-x', inputTokens: 12, outputTokens: 34 },
        `size ${size}`,
      );
    }
  });

  it('reads OpenAI chat and Google usage from streams, CRLF lines included', () => {
    const openai = new UsageMeter('text/event-stream', 'gpt-x');
    feedInPieces(
      openai,
      'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":6}}\n\ndata: [DONE]\n\n',
      9,
    );
    assert.deepEqual(openai.finish(), { model: 'gpt-x', inputTokens: 5, outputTokens: 6 });
    const google = new UsageMeter('text/event-stream; charset=utf-8', null);
    feedInPieces(
      google,
      'data: {"usageMetadata":{"promptTokenCount":3},"modelVersion":"gemini-x"}\r\n\r\ndata: {"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":8}}\r\n\r\n',
      11,
    );
    assert.deepEqual(google.finish(), { model: 'gemini-x', inputTokens: 3, outputTokens: 8 });
  });

  it('reads usage from a JSON answer, and skips an over-long line without failing', () => {
    const json = new UsageMeter('application/json', null);
    feedInPieces(
      json,
      JSON.stringify({ model: 'm', usage: { input_tokens: 1, output_tokens: 2 } }),
      4,
    );
    assert.deepEqual(json.finish(), { model: 'm', inputTokens: 1, outputTokens: 2 });
    const long = new UsageMeter('text/event-stream', 'm');
    feedInPieces(
      long,
      `data: {"usage":{"prompt_tokens":1},"pad":"${'x'.repeat(2 * 1024 * 1024)}"}\n\n`,
      65536,
    );
    assert.deepEqual(long.finish(), { model: 'm', inputTokens: null, outputTokens: null });
  });
});

tierSuite('unit', 'AI gateway usage meter: cheap paths', () => {
  it('skips `"usage":null` events yet reads the last one, and a usage line cut in three', () => {
    const delta = 'data: {"model":"gpt-x","choices":[{"delta":{"content":"a"}}],"usage":null}\n\n';
    const last =
      'data: {"model":"gpt-x-2025","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}\n\n';
    const meter = new UsageMeter('text/event-stream', 'gpt-x');
    for (let i = 0; i < 100; i++) meter.feed(Buffer.from(delta));
    const cut = Buffer.from(last);
    meter.feed(cut.subarray(0, 20));
    meter.feed(cut.subarray(20, 60));
    meter.feed(cut.subarray(60));
    assert.deepEqual(meter.finish(), { model: 'gpt-x-2025', inputTokens: 9, outputTokens: 4 });
  });

  it('finds the model of a large body at its start or end without parsing it', () => {
    const filler = 'x'.repeat(1024 * 1024);
    const first = Buffer.from(
      JSON.stringify({ model: 'm-first', messages: [{ content: filler }] }),
    );
    const lastly = Buffer.from(
      JSON.stringify({ messages: [{ content: filler }], model: 'm-last' }),
    );
    assert.equal(requestModel('/chat/completions', first, 'application/json'), 'm-first');
    assert.equal(requestModel('/chat/completions', lastly, 'application/json'), 'm-last');
    const small = Buffer.from(JSON.stringify({ messages: [], model: 'm-small' }));
    assert.equal(requestModel('/chat/completions', small, 'application/json'), 'm-small');
  });
});

tierSuite('sqlite', 'AI gateway: audit rows', () => {
  let h: GatewayHarness;
  let token = '';
  const chat = (t = token) =>
    rawRequest(h.svc.url, '/ai/openai/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5-mini',
        messages: [],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
  const db = () => h.svc.service.store.db;

  before(async function () {
    this.timeout(30_000);
    h = await startGatewayHarness({ CREDENTIAL_AI_CONCURRENCY: '64' });
    ({ token } = await h.mint());
  });
  after(async () => h?.close());
  afterEach(async () => {
    await sql`DROP TRIGGER IF EXISTS refuse_ai_request`.execute(db());
    await sql`DROP TRIGGER IF EXISTS refuse_audit_update`.execute(db());
  });

  it('AI calls are not secret reads: 60 of them trip no suspicious-activity burst', async function () {
    this.timeout(60_000);
    const { token: own, workspaceId } = await h.mint();
    for (let i = 0; i < 60; i++) assert.equal((await chat(own)).status, 200);
    const rows = await db()
      .selectFrom('audit_log')
      .select(['action', 'outcome'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    assert.equal(rows.filter((r) => r.action === 'read').length, 0, 'a call wrote a read row');
    assert.equal(rows.filter((r) => r.action === 'ai_request').length, 60);
    const page = await h.svc.trpc(h.userToken).audit.list.query({ limit: 100 });
    assert.deepEqual(page.suspicious, []);
    assert.ok(page.entries.every((e) => !e.suspicious));
  });

  it('calls made together are each audited and completed with status and usage', async () => {
    const { token: own, workspaceId } = await h.mint();
    const answers = await Promise.all(Array.from({ length: 32 }, () => chat(own)));
    for (const a of answers) assert.equal(a.status, 200);
    const audit = await db()
      .selectFrom('audit_log')
      .select(['outcome', 'detail'])
      .where('action', '=', 'ai_request')
      .where('workspace_id', '=', workspaceId)
      .execute();
    assert.equal(audit.length, 32);
    for (const row of audit) {
      assert.equal(row.outcome, 'success');
      assert.match(row.detail ?? '', /^model gpt-5-mini, HTTP 200, 11 input and 7 output tokens$/);
    }
    const usage = await db()
      .selectFrom('ai_usage')
      .select(['status', 'input_tokens'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    assert.equal(usage.length, 32);
    assert.ok(usage.every((u) => u.status === 200 && u.input_tokens === 11));
  });

  it('fails closed: when the ai_request row cannot be written, the key is never sent', async () => {
    await sql`CREATE TRIGGER refuse_ai_request BEFORE INSERT ON audit_log
      WHEN NEW.action = 'ai_request' BEGIN SELECT RAISE(ABORT, 'audit refused'); END`.execute(db());
    h.fake.clearRequests();
    const res = await chat();
    assert.equal(res.status, 503, res.text);
    assert.match(res.text, /audit log could not be written/);
    assert.deepEqual(h.fake.whereSeen(h.keys.openai), []);
    assert.equal(h.fake.openai.requests.length, 0);
  });

  it('when the end cannot be recorded, the answer is whole and the row written first stays', async () => {
    const { token: own, workspaceId } = await h.mint();
    await sql`CREATE TRIGGER refuse_audit_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit refused'); END`.execute(db());
    const res = await chat(own);
    assert.equal(res.status, 200);
    assert.ok(res.text.includes('data: [DONE]'));
    const rows = await db()
      .selectFrom('audit_log')
      .select(['outcome', 'detail'])
      .where('action', '=', 'ai_request')
      .where('workspace_id', '=', workspaceId)
      .execute();
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.detail ?? '', /sent to the provider, no answer recorded yet/);
    // The answer ended before the gateway gave up retrying (100 ms, then 400 ms).
    const deadline = Date.now() + 3000;
    while (!/recording the end of an AI request failed/.test(h.svc.logs())) {
      assert.ok(Date.now() < deadline, 'the lost completion was not logged');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});

tierSuite('sqlite', 'AI gateway: the audited address behind a trusted proxy', () => {
  let h: GatewayHarness;

  before(async function () {
    this.timeout(30_000);
    h = await startGatewayHarness({ CREDENTIAL_TRUSTED_PROXIES: '127.0.0.1, ::1' });
  });
  after(async () => h?.close());

  it('names the client the proxy saw, as the rest of the audit does, never a forged hop', async () => {
    const { token, workspaceId } = await h.mint();
    const res = await rawRequest(h.svc.url, '/ai/openai/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-forwarded-for': '10.9.9.9, 198.51.100.23',
      },
      body: JSON.stringify({ model: 'gpt-5-mini', messages: [] }),
    });
    assert.equal(res.status, 200, res.text);
    const rows = await h.svc.service.store.db
      .selectFrom('audit_log')
      .select('ip_address')
      .where('action', '=', 'ai_request')
      .where('workspace_id', '=', workspaceId)
      .execute();
    assert.deepEqual(
      rows.map((r) => r.ip_address),
      ['198.51.100.23'],
    );
  });
});
