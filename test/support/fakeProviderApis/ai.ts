// Fake model-listing endpoints of the AI providers: OpenAI `GET /v1/models` (Bearer), Anthropic
// `GET /v1/models` (x-api-key + anthropic-version) and Google `GET /v1beta/models` (API key).
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

abstract class FakeAiProvider extends FakeProvider {
  protected readonly keys = new Map<string, string[]>();
  protected abstract readonly defaultModels: string[];

  addToken(key: string, opts: AiKeyOptions = {}): void {
    this.keys.set(key, opts.models ?? this.defaultModels);
  }

  removeToken(key: string): void {
    this.keys.delete(key);
  }

  protected override addTokenFromControl(body: Record<string, unknown>): void {
    this.addToken(String(body.token), body as AiKeyOptions);
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
    if (req.path.replace(/\/+$/, '') !== '/v1/models' || req.method !== 'GET') {
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
    if (req.path.replace(/\/+$/, '') !== '/v1/models' || req.method !== 'GET') {
      return this.error(404, 'not_found_error', 'Not found');
    }
    const key = headerValue(req, 'x-api-key');
    if (key === undefined)
      return this.error(401, 'authentication_error', 'x-api-key header is required');
    if (!headerValue(req, 'anthropic-version')) {
      return this.error(400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const models = this.keys.get(key);
    if (!models) return this.error(401, 'authentication_error', 'invalid x-api-key');
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
    if (req.path.replace(/\/+$/, '') !== '/v1beta/models' || req.method !== 'GET') {
      return this.error(404, 'NOT_FOUND', `Method not found.`);
    }
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
}
