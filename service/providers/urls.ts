// Rules for provider URLs a user gives (a Forgejo or self-hosted GitLab address, a custom AI
// endpoint): https unless the host is loopback, no link-local, metadata or unspecified address,
// no credentials, no control characters.
import { AppError } from '../errors';
import { forbiddenAddressReason, isLoopbackHost } from './addresses';

export { isLoopbackHost };

export const MAX_PROVIDER_URL_LENGTH = 2048;

/**
 * Checks a provider URL and answers it without trailing slashes; throws AppError BAD_REQUEST
 * with a message saying what to change.
 */
export function validateProviderUrl(url: string): string {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new AppError('BAD_REQUEST', 'The provider URL is empty.');
  }
  if ([...url].some((c) => c === '\r' || c === '\n' || c === '\0')) {
    throw new AppError(
      'BAD_REQUEST',
      'The provider URL must not contain line breaks or NUL characters.',
    );
  }
  if (url.length > MAX_PROVIDER_URL_LENGTH) {
    throw new AppError(
      'BAD_REQUEST',
      `The provider URL must be at most ${MAX_PROVIDER_URL_LENGTH} characters.`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new AppError(
      'BAD_REQUEST',
      'The provider URL is not a valid URL such as https://git.example.com.',
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new AppError('BAD_REQUEST', 'The provider URL must start with https://.');
  }
  const forbidden = forbiddenAddressReason(parsed.hostname);
  if (forbidden) {
    throw new AppError('BAD_REQUEST', `The provider URL must not name ${forbidden}.`);
  }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    throw new AppError(
      'BAD_REQUEST',
      'The provider URL must use https:// (plain http is allowed only for localhost).',
    );
  }
  if (parsed.username || parsed.password) {
    throw new AppError(
      'BAD_REQUEST',
      'The provider URL must not contain a user name or password; put the token in the token field.',
    );
  }
  if (parsed.search || parsed.hash) {
    throw new AppError(
      'BAD_REQUEST',
      'The provider URL must not contain a query (?…) or fragment (#…).',
    );
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}

/** A validated base URL with a known API suffix (`/api/v4`, `/api/v1`) removed if the user typed it. */
export function siteBaseUrl(url: string, apiSuffix: string): string {
  const base = validateProviderUrl(url);
  return apiSuffix && base.endsWith(apiSuffix) ? base.slice(0, -apiSuffix.length) : base;
}
