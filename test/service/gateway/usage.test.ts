// Token usage read from answers as they stream: every provider's shape, whatever the chunking
// (a marker cut in two by a chunk boundary included), and never more than one line held.
import assert from 'node:assert/strict';
import { UsageMeter } from '../../../service/gateway/usage';
import { tierSuite } from '../../support/tiers';

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
