// The real SDK clients of OpenAI, Anthropic and Google, pointed at the gateway with a gateway
// token as their key, make a plain and a streamed call: the fake provider sees the user's real
// key, never the token; every call is audited with its model, status and reported usage.
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { tierSuite } from '../../support/tiers';
import { type GatewayHarness, startGatewayHarness } from './harness';

tierSuite('sqlite', 'AI gateway: real SDK clients', () => {
  let h: GatewayHarness;
  let token = '';
  let workspaceId = '';

  before(async function () {
    this.timeout(30_000);
    h = await startGatewayHarness();
    ({ token, workspaceId } = await h.mint());
  });
  after(async () => h?.close());
  beforeEach(() => h.fake.clearRequests());

  const usageRows = () =>
    h.svc.service.store.db
      .selectFrom('ai_usage')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at')
      .execute();

  /** The fake saw the real key and nothing of the gateway token. */
  function assertKeySwapped(real: string, header: string): void {
    const seen = h.fake.whereSeen(real);
    assert.ok(seen.length > 0, 'the fake never saw the real key');
    assert.ok(
      seen.every((s) => s.location === `header:${header}`),
      JSON.stringify(seen),
    );
    assert.deepEqual(h.fake.whereSeen(token), [], 'the gateway token reached the provider');
  }

  it('OpenAI: chat completion, plain and streamed, with usage', async () => {
    const client = new OpenAI({ apiKey: token, baseURL: `${h.svc.url}/ai/openai`, maxRetries: 0 });
    const plain = await client.chat.completions.create({
      model: 'gpt-5-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(plain.choices[0]?.message.content, 'Hello from the fake provider.');
    assert.equal(plain.usage?.prompt_tokens, 11);

    const stream = await client.chat.completions.create({
      model: 'gpt-5-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'Hello from the fake provider.');
    assertKeySwapped(h.keys.openai, 'authorization');

    const rows = (await usageRows()).filter((r) => r.provider === 'openai');
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.model, 'gpt-5-mini');
      assert.equal(r.status, 200);
      assert.equal(Number(r.input_tokens), 11);
      assert.equal(Number(r.output_tokens), 7);
    }
  });

  it('OpenAI: the Responses API streamed, usage read from response.completed', async () => {
    const client = new OpenAI({ apiKey: token, baseURL: `${h.svc.url}/ai/openai`, maxRetries: 0 });
    const stream = await client.responses.create({ model: 'gpt-5', input: 'hi', stream: true });
    let text = '';
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta;
    assert.equal(text, 'Hello from the fake provider.');
    const last = (await usageRows()).at(-1);
    assert.equal(last?.model, 'gpt-5');
    assert.equal(Number(last?.output_tokens), 7);
  });

  it('Anthropic: messages, plain and streamed, with usage', async () => {
    const client = new Anthropic({
      apiKey: token,
      baseURL: `${h.svc.url}/ai/anthropic`,
      maxRetries: 0,
    });
    const plain = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const first = plain.content[0];
    assert.equal(first?.type === 'text' ? first.text : '', 'Hello from the fake provider.');

    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    assert.equal(text, 'Hello from the fake provider.');
    assert.equal(final.usage.output_tokens, 7);
    assertKeySwapped(h.keys.anthropic, 'x-api-key');

    const rows = (await usageRows()).filter((r) => r.provider === 'anthropic');
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.model, 'claude-sonnet-4-5');
      assert.equal(Number(r.input_tokens), 11);
      assert.equal(Number(r.output_tokens), 7);
    }
  });

  it('Google: generateContent, plain and streamed, with usage', async () => {
    const ai = new GoogleGenAI({
      apiKey: token,
      httpOptions: { baseUrl: `${h.svc.url}/ai/google` },
    });
    const plain = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    assert.equal(plain.text, 'Hello from the fake provider.');
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'hi',
    });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    assert.equal(text, 'Hello from the fake provider.');
    assertKeySwapped(h.keys.google, 'x-goog-api-key');

    const rows = (await usageRows()).filter((r) => r.provider === 'google');
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.model, 'gemini-2.5-flash');
      assert.equal(Number(r.input_tokens), 11);
      assert.equal(Number(r.output_tokens), 7);
    }
  });

  it('a custom key is reached by its name with the OpenAI SDK', async () => {
    const client = new OpenAI({
      apiKey: token,
      baseURL: `${h.svc.url}/ai/custom/mine`,
      maxRetries: 0,
    });
    const plain = await client.chat.completions.create({
      model: 'local-model',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(plain.choices[0]?.message.content, 'Hello from the fake provider.');
    assertKeySwapped(h.keys.custom, 'authorization');
  });

  it('every call is audited as ai_request with model, status and usage, never a key', async () => {
    const page = await h.svc.trpc(h.userToken).audit.list.query({ action: 'ai_request' });
    assert.ok(page.entries.length >= 8, `only ${page.entries.length} ai_request entries`);
    const e = page.entries.find((x) => x.provider === 'anthropic');
    assert.ok(e);
    assert.equal(e.workspaceId, workspaceId);
    assert.equal(e.outcome, 'success');
    assert.match(
      String((e as { detail?: unknown }).detail ?? ''),
      /claude-sonnet-4-5.*HTTP 200.*11 input and 7 output/,
    );
    const all = JSON.stringify(page);
    for (const k of Object.values(h.keys)) assert.ok(!all.includes(k));
    assert.ok(!all.includes(token));
    for (const k of [...Object.values(h.keys), token]) assert.ok(!h.svc.logs().includes(k));
  });

  it('ai.usage shows the user their requests and tokens per provider and model', async () => {
    const report = await h.svc.trpc(h.userToken).ai.usage.query();
    const anthropic = report.today.find((r) => r.provider === 'anthropic');
    assert.deepEqual(anthropic, {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      requests: 2,
      failed: 0,
      inputTokens: 22,
      outputTokens: 14,
    });
    assert.ok(report.month.length >= report.today.length);
    assert.ok(Date.parse(report.monthSince) <= Date.parse(report.todaySince));
  });
});
