// Which provider a gateway path names and where it goes upstream. The path is checked segment by
// segment before it is joined to the provider's base URL (no dot segments, no encoded slashes or
// backslashes, no empty segments), and the joined URL is checked again: it must stay on the base
// URL's origin and below its path, whatever the caller wrote.
import { AppError } from '../errors';

export const GATEWAY_PREFIX = '/ai/';

export const GATEWAY_PROVIDERS = ['openai', 'anthropic', 'google', 'custom'] as const;
export type GatewayProvider = (typeof GATEWAY_PROVIDERS)[number];

export interface GatewayRoute {
  provider: GatewayProvider;
  /** The custom key's name, for `/ai/custom/{name}/…`; null otherwise. */
  customName: string | null;
  /** The rest of the path, as sent (still percent-encoded): '' or starting with '/'. */
  rest: string;
  /** The query string without '?', as sent ('' when none). */
  query: string;
}

const CUSTOM_NAME = /^[A-Za-z0-9._-]{1,100}$/;
/** Control characters (and, raw in a path, the space). */
function hasControl(text: string, spaceToo: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (spaceToo && c === 0x20)) return true;
  }
  return false;
}

function refuse(message: string): never {
  throw new AppError('BAD_REQUEST', message);
}

/** Checks one path segment after the provider; throws BAD_REQUEST for a hostile one. */
function checkSegment(segment: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    refuse('the path holds a malformed %-escape');
  }
  if (decoded === '.' || decoded === '..') refuse('the path may not hold . or .. segments');
  if (/[/\\]/.test(decoded)) refuse('the path may not hold encoded slashes or backslashes');
  if (hasControl(decoded, false)) refuse('the path may not hold control characters');
}

/** Parses `/ai/{provider}[/{name}]/rest?query`; throws AppError (400, 404) when it is not one. */
export function parseGatewayPath(rawUrl: string): GatewayRoute {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  if (!path.startsWith(GATEWAY_PREFIX)) throw new AppError('NOT_FOUND', 'not a gateway path');
  // The backslash is refused too: some servers read it as a slash.
  if (hasControl(path, true) || path.includes('\\'))
    refuse('the path may not hold spaces, control characters or \\');
  const segments = path.slice(GATEWAY_PREFIX.length).split('/');
  const provider = segments.shift() ?? '';
  if (!(GATEWAY_PROVIDERS as readonly string[]).includes(provider)) {
    throw new AppError(
      'NOT_FOUND',
      `no AI provider "${provider.slice(0, 40)}"; use /ai/openai, /ai/anthropic, /ai/google or /ai/custom/NAME`,
    );
  }
  let customName: string | null = null;
  if (provider === 'custom') {
    const name = segments.shift() ?? '';
    if (!CUSTOM_NAME.test(name) || name === '.' || name === '..') {
      throw new AppError('NOT_FOUND', 'name the custom key: /ai/custom/NAME/…');
    }
    customName = name;
  }
  // A trailing slash leaves one empty last segment, which some APIs use; any other is refused,
  // so `//host` or `http://host` can never become an authority.
  segments.forEach((s, i) => {
    if (s === '' && i !== segments.length - 1) refuse('the path may not hold empty segments');
    checkSegment(s);
  });
  return {
    provider: provider as GatewayProvider,
    customName,
    rest: segments.length > 0 ? `/${segments.join('/')}` : '',
    query,
  };
}

/** The query without the gateway's own `key` parameter (Google SDKs may send the token there). */
export function queryWithoutKey(query: string): string {
  if (!/(^|&)key=/.test(query)) return query;
  const params = new URLSearchParams(query);
  params.delete('key');
  return params.toString();
}

/**
 * The upstream URL: base + rest + query, verified to be on the base's origin and below its path
 * after the URL parser normalised it. Throws BAD_REQUEST otherwise.
 */
export function upstreamUrl(baseUrl: string, rest: string, query: string): URL {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const target = new URL(`${base.origin}${basePath}${rest}${query ? `?${query}` : ''}`);
  const below =
    target.pathname === basePath ||
    target.pathname.startsWith(`${basePath}/`) ||
    (basePath === '' && target.pathname.startsWith('/'));
  if (target.origin !== base.origin || !below || target.username || target.password) {
    refuse("the path leaves the provider's base URL");
  }
  return target;
}
