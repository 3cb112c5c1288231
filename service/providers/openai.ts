// OpenAI (and OpenAI-compatible endpoints of custom keys): key test by `GET {base}/models`
// with a Bearer key, the base URL as the OpenAI SDKs take it (`https://api.openai.com/v1`).
import { originOf, providerFetch } from './http';
import { inconclusiveResult, notTheApiResult, rejectedResult, unreachableResult } from './results';
import type { ClientOptions, TestResult } from './types';

export async function testOpenaiCompatibleKey(
  name: string,
  key: string,
  baseUrl: string,
  opts: ClientOptions = {},
): Promise<TestResult> {
  const origin = originOf(baseUrl);
  const res = await providerFetch(`${baseUrl}/models`, {
    headers: { Authorization: `Bearer ${key}` },
    timeoutMs: opts.timeoutMs,
  });
  if (!res.ok) return unreachableResult(name, origin, res, 'key');
  if (res.status === 401 || res.status === 403)
    return rejectedResult(name, res.status, undefined, 'key');
  if (res.status !== 200) return inconclusiveResult(name, origin, res, 'key');
  const data = (res.json as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return notTheApiResult(name, origin, 'key');
  return {
    status: 'valid',
    detail: `The ${name} key is valid; ${data.length} models are available to it.`,
  };
}

export function testOpenaiKey(
  key: string,
  baseUrl: string,
  opts: ClientOptions = {},
): Promise<TestResult> {
  return testOpenaiCompatibleKey('OpenAI', key, baseUrl, opts);
}
