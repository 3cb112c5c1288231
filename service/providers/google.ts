// Google AI (Gemini API): key test by `GET {base}/v1beta/models`. The key goes in the
// `x-goog-api-key` header, never in `?key=`, so it does not land in URLs or access logs.
import { originOf, providerFetch } from './http';
import { inconclusiveResult, notTheApiResult, rejectedResult, unreachableResult } from './results';
import type { ClientOptions, TestResult } from './types';

const NAME = 'Google AI';

export async function testGoogleKey(
  key: string,
  baseUrl: string,
  opts: ClientOptions = {},
): Promise<TestResult> {
  const origin = originOf(baseUrl);
  const res = await providerFetch(`${baseUrl}/v1beta/models`, {
    headers: { 'x-goog-api-key': key },
    timeoutMs: opts.timeoutMs,
  });
  if (!res.ok) return unreachableResult(NAME, origin, res, 'key');
  if (res.status === 401 || res.status === 403)
    return rejectedResult(NAME, res.status, undefined, 'key');
  // Google answers a wrong key with 400 INVALID_ARGUMENT and the reason API_KEY_INVALID.
  if (res.status === 400 && /API_KEY_INVALID|API key not valid/.test(res.text)) {
    return {
      status: 'invalid',
      detail: `${NAME} rejected the key (HTTP 400, API_KEY_INVALID): it is wrong or was deleted.`,
    };
  }
  if (res.status !== 200) return inconclusiveResult(NAME, origin, res, 'key');
  const models = (res.json as { models?: unknown } | undefined)?.models;
  if (!Array.isArray(models)) return notTheApiResult(NAME, origin, 'key');
  return {
    status: 'valid',
    detail: `The ${NAME} key is valid; ${models.length} models are available to it.`,
  };
}
