// Anthropic: key test by `GET {base}/v1/models` with `x-api-key` and `anthropic-version`, the
// base URL as the Anthropic SDKs take it (`https://api.anthropic.com`).
import { originOf, providerFetch } from './http';
import { inconclusiveResult, notTheApiResult, rejectedResult, unreachableResult } from './results';
import type { ClientOptions, TestResult } from './types';

const NAME = 'Anthropic';
export const ANTHROPIC_VERSION = '2023-06-01';

export async function testAnthropicKey(
  key: string,
  baseUrl: string,
  opts: ClientOptions = {},
): Promise<TestResult> {
  const origin = originOf(baseUrl);
  const res = await providerFetch(`${baseUrl}/v1/models`, {
    headers: { 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION },
    timeoutMs: opts.timeoutMs,
  });
  if (!res.ok) return unreachableResult(NAME, origin, res, 'key');
  if (res.status === 401 || res.status === 403)
    return rejectedResult(NAME, res.status, undefined, 'key');
  // 529 is Anthropic's "overloaded"; like any 5xx it settles nothing about the key.
  if (res.status !== 200) return inconclusiveResult(NAME, origin, res, 'key');
  const data = (res.json as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return notTheApiResult(NAME, origin, 'key');
  return {
    status: 'valid',
    detail: `The ${NAME} key is valid; ${data.length} models are available to it.`,
  };
}
