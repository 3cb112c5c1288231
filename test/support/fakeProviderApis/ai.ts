// Fake AI provider APIs: the model listings (OpenAI `GET /v1/models` with Bearer, Anthropic
// `GET /v1/models` with x-api-key + anthropic-version, Google `GET /v1beta/models` with an API
// key) and a generation call of each, plain and streamed the way that provider streams:
// OpenAI `POST /v1/chat/completions` (and `/v1/responses`), Anthropic `POST /v1/messages`,
// Google `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`.
import {
  authorizationToken,
  FakeProvider,
  headerValue,
  newId,
  type FakeRequest,
  type Reply,
} from './base';

export interface AiKeyOptions {
  /** Model ids the listing shows; a small default set otherwise. */
  models?: string[];
}

/** What a generation call answers: the text, cut into `chunks` events `intervalMs` apart. */
export interface FakeAnswer {
  text: string;
  chunks: number;
  intervalMs: number;
  inputTokens: number;
  outputTokens: number;
}

/** The text cut into `n` nearly equal pieces (at least one). */
export function pieces(text: string, n: number): string[] {
  const count = Math.max(1, n);
  const size = Math.ceil(text.length / count) || 1;
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(text.slice(i * size, (i + 1) * size));
  return out;
}

const sse = (data: unknown, event?: string): string =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

abstract class FakeAiProvider extends FakeProvider {
  protected readonly keys = new Map<string, string[]>();
  protected abstract readonly defaultModels: string[];
  /** Change freely in a test; restored by resetAnswer(). */
  reply: FakeAnswer = FakeAiProvider.defaultAnswer();

  static defaultAnswer(): FakeAnswer {
    return {
      text: 'Hello from the fake provider.',
      chunks: 4,
      intervalMs: 5,
      inputTokens: 11,
      outputTokens: 7,
    };
  }

  resetReply(): void {
    this.reply = FakeAiProvider.defaultAnswer();
  }

  protected bodyOf(req: FakeRequest): Record<string, unknown> {
    return req.json && typeof req.json === 'object' ? (req.json as Record<string, unknown>) : {};
  }

  addToken(key: string, opts: AiKeyOptions = {}): void {
    this.keys.set(key, opts.models ?? this.defaultModels);
  }

  removeToken(key: string): void {
    this.keys.delete(key);
  }

  protected override addTokenFromControl(body: Record<string, unknown>): void {
    this.addToken(String(body.token), body as AiKeyOptions);
  }

  protected override setReplyFromControl(body: Record<string, unknown>): void {
    this.reply = { ...FakeAiProvider.defaultAnswer(), ...(body as Partial<FakeAnswer>) };
  }
}

/** OpenAI masks the key it rejects in its message; keep that shape (never the whole key). */
function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 40))}${key.slice(-4)}`;
}

export class FakeOpenai extends FakeAiProvider {
  readonly name = 'openai' as const;
  protected readonly defaultModels = ['gpt-4o', 'gpt-4o-mini'];

  private error(status: number, message: string, type: string, code: string | null): Reply {
    return {
      status,
      body: { error: { message, type, param: null, code } },
      headers: { 'x-request-id': `req_${newId()}` },
    };
  }

  protected override errorReply(status: number): Reply {
    if (status === 401)
      return this.error(
        401,
        'Incorrect API key provided.',
        'invalid_request_error',
        'invalid_api_key',
      );
    if (status === 403)
      return this.error(403, 'You are not allowed to use this API.', 'invalid_request_error', null);
    if (status === 429)
      return this.error(
        429,
        'You exceeded your current quota.',
        'insufficient_quota',
        'insufficient_quota',
      );
    if (status >= 500)
      return this.error(
        status,
        'The server had an error while processing your request.',
        'server_error',
        null,
      );
    return this.error(status, 'Error', 'invalid_request_error', null);
  }

  protected override badJsonReply(): Reply {
    return this.error(
      400,
      'We could not parse the JSON body of your request.',
      'invalid_request_error',
      null,
    );
  }

  protected override route(req: FakeRequest): Reply {
    const path = req.path.replace(/\/+$/, '');
    const known =
      (path === '/v1/models' && req.method === 'GET') ||
      (['/v1/chat/completions', '/v1/responses'].includes(path) && req.method === 'POST');
    if (!known) {
      return this.error(
        404,
        `Invalid URL (${req.method} ${req.path})`,
        'invalid_request_error',
        null,
      );
    }
    const key = authorizationToken(req, ['bearer']);
    if (key === undefined) {
      return this.error(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
        null,
      );
    }
    const models = this.keys.get(key);
    if (!models) {
      return this.error(
        401,
        `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    if (path === '/v1/chat/completions') return this.chat(req);
    if (path === '/v1/responses') return this.responses(req);
    return {
      status: 200,
      body: {
        object: 'list',
        data: models.map((id) => ({
          id,
          object: 'model',
          created: 1715367049,
          owned_by: 'system',
        })),
      },
      headers: { 'x-request-id': `req_${newId()}`, 'openai-organization': 'user-fake' },
    };
  }

  chat(req: FakeRequest): Reply {
    const body = this.bodyOf(req);
    const model = typeof body.model === 'string' ? body.model : 'gpt-4o';
    const a = this.reply;
    const id = `chatcmpl-${newId()}`;
    const usage = {
      prompt_tokens: a.inputTokens,
      completion_tokens: a.outputTokens,
      total_tokens: a.inputTokens + a.outputTokens,
    };
    if (body.stream !== true) {
      return {
        status: 200,
        body: {
          id,
          object: 'chat.completion',
          created: 1750000000,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: a.text, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage,
        },
      };
    }
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created: 1750000000,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    const events = [sse(chunk({ role: 'assistant', content: '' }, null))];
    for (const p of pieces(a.text, a.chunks)) events.push(sse(chunk({ content: p }, null)));
    events.push(sse(chunk({}, 'stop')));
    const opts = body.stream_options as { include_usage?: boolean } | undefined;
    if (opts?.include_usage) {
      events.push(sse({ id, object: 'chat.completion.chunk', model, choices: [], usage }));
    }
    events.push(sse('[DONE]'));
    return { status: 200, events, intervalMs: a.intervalMs };
  }

  /**
   * The Responses API (`POST /v1/responses`), streamed with the events OpenAI sends in order
   * (created, in_progress, the message item and its text part added, the deltas, each piece done,
   * completed): the SDK, Codex CLI and OpenCode's AI SDK each read a different subset.
   */
  responses(req: FakeRequest): Reply {
    const body = this.bodyOf(req);
    const model = typeof body.model === 'string' ? body.model : 'gpt-4o';
    const a = this.reply;
    const itemId = `msg_${newId()}`;
    const part = { type: 'output_text', text: a.text, annotations: [], logprobs: [] };
    const item = {
      type: 'message',
      id: itemId,
      status: 'completed',
      role: 'assistant',
      content: [part],
    };
    const response = {
      id: `resp_${newId()}`,
      object: 'response',
      created_at: 1750000000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model,
      output: [item],
      usage: {
        input_tokens: a.inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: a.outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: a.inputTokens + a.outputTokens,
      },
    };
    if (body.stream !== true) return { status: 200, body: response };
    let n = 0;
    const event = (type: string, data: Record<string, unknown>) =>
      sse({ type, sequence_number: n++, ...data }, type);
    const started = { ...response, status: 'in_progress', output: [], usage: null };
    const at = { item_id: itemId, output_index: 0, content_index: 0 };
    const events = [
      event('response.created', { response: started }),
      event('response.in_progress', { response: started }),
      event('response.output_item.added', {
        output_index: 0,
        item: { ...item, status: 'in_progress', content: [] },
      }),
      event('response.content_part.added', { ...at, part: { ...part, text: '' } }),
    ];
    for (const p of pieces(a.text, a.chunks))
      events.push(event('response.output_text.delta', { ...at, delta: p, logprobs: [] }));
    events.push(
      event('response.output_text.done', { ...at, text: a.text, logprobs: [] }),
      event('response.content_part.done', { ...at, part }),
      event('response.output_item.done', { output_index: 0, item }),
      event('response.completed', { response }),
    );
    return { status: 200, events, intervalMs: a.intervalMs };
  }
}

export class FakeAnthropic extends FakeAiProvider {
  readonly name = 'anthropic' as const;
  protected readonly defaultModels = ['claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022'];

  private error(status: number, type: string, message: string): Reply {
    return {
      status,
      body: { type: 'error', error: { type, message } },
      headers: { 'request-id': `req_${newId()}` },
    };
  }

  protected override errorReply(status: number): Reply {
    if (status === 401) return this.error(401, 'authentication_error', 'invalid x-api-key');
    if (status === 403)
      return this.error(
        403,
        'permission_error',
        'Your API key does not have permission to use the specified resource.',
      );
    if (status === 429)
      return this.error(
        429,
        'rate_limit_error',
        'Number of requests has exceeded your rate limit.',
      );
    if (status === 529) return this.error(529, 'overloaded_error', 'Overloaded');
    if (status >= 500) return this.error(status, 'api_error', 'Internal server error');
    return this.error(status, 'invalid_request_error', 'Error');
  }

  protected override badJsonReply(): Reply {
    return this.error(400, 'invalid_request_error', 'There was an issue with the JSON body.');
  }

  protected override route(req: FakeRequest): Reply {
    const path = req.path.replace(/\/+$/, '');
    const known =
      (path === '/v1/models' && req.method === 'GET') ||
      (path === '/v1/messages' && req.method === 'POST');
    if (!known) return this.error(404, 'not_found_error', 'Not found');
    // The SDKs of late 2026 send the API key as a Bearer token; older ones as x-api-key.
    const key = headerValue(req, 'x-api-key') ?? authorizationToken(req, ['bearer']);
    if (key === undefined)
      return this.error(401, 'authentication_error', 'x-api-key header is required');
    if (!headerValue(req, 'anthropic-version')) {
      return this.error(400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const models = this.keys.get(key);
    if (!models) return this.error(401, 'authentication_error', 'invalid x-api-key');
    if (path === '/v1/messages') return this.messages(req);
    const data = models.map((id) => ({
      type: 'model',
      id,
      display_name: id,
      created_at: '2025-05-22T00:00:00Z',
    }));
    return {
      status: 200,
      body: {
        data,
        has_more: false,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      },
      headers: { 'request-id': `req_${newId()}` },
    };
  }

  private messages(req: FakeRequest): Reply {
    const body = this.bodyOf(req);
    const model = typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5';
    const a = this.reply;
    const id = `msg_${newId()}`;
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: a.text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: a.inputTokens, output_tokens: a.outputTokens },
    };
    if (body.stream !== true) return { status: 200, body: message };
    const events = [
      sse(
        {
          type: 'message_start',
          message: {
            ...message,
            content: [],
            stop_reason: null,
            usage: { input_tokens: a.inputTokens, output_tokens: 1 },
          },
        },
        'message_start',
      ),
      sse(
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        'content_block_start',
      ),
      sse({ type: 'ping' }, 'ping'),
    ];
    for (const p of pieces(a.text, a.chunks)) {
      events.push(
        sse(
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } },
          'content_block_delta',
        ),
      );
    }
    events.push(
      sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
      sse(
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: a.outputTokens },
        },
        'message_delta',
      ),
      sse({ type: 'message_stop' }, 'message_stop'),
    );
    return { status: 200, events, intervalMs: a.intervalMs };
  }
}

export class FakeGoogle extends FakeAiProvider {
  readonly name = 'google' as const;
  protected readonly defaultModels = ['gemini-2.5-flash', 'gemini-2.5-pro'];

  private error(code: number, status: string, message: string, reason?: string): Reply {
    const details = reason
      ? [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason,
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
        ]
      : undefined;
    return {
      status: code,
      body: { error: { code, message, status, ...(details ? { details } : {}) } },
    };
  }

  protected override errorReply(status: number): Reply {
    if (status === 400)
      return this.error(
        400,
        'INVALID_ARGUMENT',
        'API key not valid. Please pass a valid API key.',
        'API_KEY_INVALID',
      );
    if (status === 401)
      return this.error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    if (status === 403)
      return this.error(
        403,
        'PERMISSION_DENIED',
        'Permission denied: Consumer has been suspended.',
      );
    if (status === 429)
      return this.error(
        429,
        'RESOURCE_EXHAUSTED',
        'Resource has been exhausted (e.g. check quota).',
      );
    if (status === 503)
      return this.error(503, 'UNAVAILABLE', 'The service is currently unavailable.');
    if (status >= 500) return this.error(status, 'INTERNAL', 'An internal error has occurred.');
    return this.error(status, 'UNKNOWN', 'Error');
  }

  protected override badJsonReply(): Reply {
    return this.error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
  }

  protected override route(req: FakeRequest): Reply {
    const path = req.path.replace(/\/+$/, '');
    const generate = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(
      path,
    );
    const known =
      (path === '/v1beta/models' && req.method === 'GET') || (generate && req.method === 'POST');
    if (!known) return this.error(404, 'NOT_FOUND', `Method not found.`);
    // Google takes the key from a header or from ?key=; clients here must use the header.
    const key = headerValue(req, 'x-goog-api-key') ?? req.query.get('key') ?? undefined;
    if (key === undefined) {
      return this.error(
        403,
        'PERMISSION_DENIED',
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    const models = this.keys.get(key);
    if (!models) {
      return this.error(
        400,
        'INVALID_ARGUMENT',
        'API key not valid. Please pass a valid API key.',
        'API_KEY_INVALID',
      );
    }
    if (generate) return this.generate(req, generate[1]!, generate[2] === 'streamGenerateContent');
    return {
      status: 200,
      body: {
        models: models.map((id) => ({
          name: `models/${id}`,
          version: '001',
          displayName: id,
          supportedGenerationMethods: ['generateContent', 'countTokens'],
        })),
      },
    };
  }

  private generate(req: FakeRequest, model: string, stream: boolean): Reply {
    const a = this.reply;
    const usageMetadata = {
      promptTokenCount: a.inputTokens,
      candidatesTokenCount: a.outputTokens,
      totalTokenCount: a.inputTokens + a.outputTokens,
    };
    const chunk = (text: string, last: boolean) => ({
      candidates: [
        {
          content: { parts: [{ text }], role: 'model' },
          ...(last ? { finishReason: 'STOP' } : {}),
          index: 0,
        },
      ],
      usageMetadata: last
        ? usageMetadata
        : { promptTokenCount: a.inputTokens, totalTokenCount: a.inputTokens },
      modelVersion: model,
      responseId: `resp-${newId()}`,
    });
    if (!stream) return { status: 200, body: chunk(a.text, true) };
    if (req.query.get('alt') !== 'sse') {
      // Without alt=sse Google streams one JSON array; the SDKs here always ask for SSE.
      return this.error(400, 'INVALID_ARGUMENT', 'this fake streams only with alt=sse');
    }
    const parts = pieces(a.text, a.chunks);
    const events = parts.map(
      (p, i) => `data: ${JSON.stringify(chunk(p, i === parts.length - 1))}\r\n\r\n`,
    );
    return { status: 200, events, intervalMs: a.intervalMs };
  }
}
