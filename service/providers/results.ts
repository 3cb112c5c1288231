// The sentences and status mapping every provider client shares, so that a 401, a timeout or a
// 503 reads the same whichever provider answered it.
import type { ProviderResponse } from './http';
import type { RegisterResult, TestResult } from './types';

type Failed = Extract<ProviderResponse, { ok: false }>;
type Answered = Extract<ProviderResponse, { ok: true }>;

export function unreachableResult(
  name: string,
  origin: string,
  failure: Failed,
  noun = 'token',
): TestResult {
  return {
    status: 'unreachable',
    detail: `Could not check the ${name} ${noun}: ${name} at ${origin} ${failureWords(failure)}.`,
  };
}

function failureWords(failure: Failed): string {
  return failure.reason === 'timeout' ? failure.detail : `could not be reached (${failure.detail})`;
}

/** 401/403: the provider looked at the token and said no. */
export function rejectedResult(
  name: string,
  status: number,
  why?: string,
  noun = 'token',
): TestResult {
  const base =
    status === 401
      ? `${name} rejected the ${noun} (HTTP 401): it is wrong, expired or revoked.`
      : `${name} refused the ${noun} (HTTP ${status}).`;
  return { status: 'invalid', detail: why ? `${base} ${why}` : base };
}

/** Any other answer that settles nothing: server errors, rate limits, redirects, wrong URLs. */
export function inconclusiveResult(
  name: string,
  origin: string,
  res: Answered,
  noun = 'token',
): TestResult {
  return {
    status: 'unreachable',
    detail: `Could not check the ${name} ${noun}: ${describeStatus(name, origin, res.status)}`,
  };
}

export function describeStatus(name: string, origin: string, status: number): string {
  if (status >= 500)
    return `${name} at ${origin} answered HTTP ${status} (a server error); try again later.`;
  if (status === 429)
    return `${name} at ${origin} is rate limiting requests (HTTP 429); try again later.`;
  if (status >= 300 && status < 400) {
    return `${origin} answered with a redirect (HTTP ${status}); check that the URL points at the ${name} API.`;
  }
  if (status === 404)
    return `${origin} has no ${name} API at that address (HTTP 404); check the URL.`;
  return `${name} at ${origin} answered an unexpected HTTP ${status}.`;
}

/** A 2xx whose body is not what the API sends: probably a web page at a wrong URL. */
export function notTheApiResult(name: string, origin: string, noun = 'token'): TestResult {
  return {
    status: 'unreachable',
    detail: `Could not check the ${name} ${noun}: ${origin} did not answer like the ${name} API; check the URL.`,
  };
}

export function registerFailure(
  name: string,
  origin: string,
  res: ProviderResponse,
  hint?: string,
): RegisterResult {
  if (!res.ok) return { status: 'error', detail: `${name} at ${origin} ${failureWords(res)}.` };
  if (res.status === 401) {
    return {
      status: 'error',
      detail: `${name} rejected the token (HTTP 401): it is wrong, expired or revoked.`,
    };
  }
  const base =
    res.status === 403 || res.status === 404 || res.status === 422 || res.status === 400
      ? `${name} refused to add the key (HTTP ${res.status}).`
      : describeStatus(name, origin, res.status);
  return { status: 'error', detail: hint ? `${base} ${hint}` : base };
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
