// Which stored git token answers a git credential request for a host (CONTRACT.md section 6),
// and the user name git should send with it over HTTPS.
//
// Hosts are compared as git sends them: lower-case `host[:port]`, the port only when it is not
// the scheme's default. A GitLab or Forgejo token with its own URL is handed out only for that
// URL's host, never for gitlab.com, so a self-hosted token cannot leak to another server.
import type { ProviderUrls } from '../config';
import { isLoopbackHost } from './addresses';
import type { GitProvider } from './types';

export interface GitTokenCandidate {
  provider: string;
  url?: string | null;
  name?: string;
  /** The repository path prefix the token answers for (`acme`), if any. */
  path_prefix?: string | null;
}

/** `host[:port]` of a URL as git would name it, or undefined for an unusable URL. */
export function hostOfUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const host = new URL(url).host.toLowerCase();
    return host || undefined;
  } catch {
    return undefined;
  }
}

/** A git `host` field normalised: lower case, no trailing dot, no default port of the protocol. */
export function normalizeGitHost(host: string, protocol = 'https'): string | undefined {
  if (!host || /[\s/@?#\\]/.test(host)) return undefined;
  try {
    return new URL(`${protocol}://${host}`).host.toLowerCase().replace(/\.(?=(:\d+)?$)/, '');
  } catch {
    return undefined;
  }
}

/** The hosts GitHub tokens serve: github.com, and the GitHub Enterprise host of GITHUB_API_URL. */
export function githubHosts(urls: Pick<ProviderUrls, 'githubApiUrl'>): string[] {
  const hosts = ['github.com'];
  const api = hostOfUrl(urls.githubApiUrl);
  // api.github.com is github.com's API; any other API host (GHE's https://HOST/api/v3) is the
  // git host itself.
  if (api && api !== 'api.github.com' && api !== 'github.com') hosts.push(api);
  return hosts;
}

/** The host git uses for a token of this provider (for display and git configuration). */
export function gitHostFor(
  provider: GitProvider,
  tokenUrl: string | null | undefined,
  urls: Pick<ProviderUrls, 'githubApiUrl' | 'gitlabUrl'>,
): string | undefined {
  if (provider === 'github') return githubHosts(urls).at(-1);
  if (provider === 'gitlab') return hostOfUrl(tokenUrl || urls.gitlabUrl);
  return hostOfUrl(tokenUrl);
}

function hostsServedBy(
  token: GitTokenCandidate,
  urls: Pick<ProviderUrls, 'githubApiUrl' | 'gitlabUrl'>,
): string[] {
  if (token.provider === 'github') return githubHosts(urls);
  if (token.provider === 'gitlab') {
    const own = hostOfUrl(token.url);
    if (own) return [own];
    const configured = hostOfUrl(urls.gitlabUrl);
    return configured && configured !== 'gitlab.com' ? ['gitlab.com', configured] : ['gitlab.com'];
  }
  if (token.provider === 'forgejo') {
    const own = hostOfUrl(token.url);
    return own ? [own] : [];
  }
  return [];
}

/**
 * A repository path as git sends it (`acme/tools.git`, percent-escapes allowed) as its segments,
 * lower case (GitHub, GitLab and Forgejo owners are case-insensitive); undefined when it holds `.` or `..` segments or bad escapes, which could make a
 * server read a different path than the prefix was compared with.
 */
export function repositorySegments(path: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const trimmed = decoded.toLowerCase().replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '.' || s === '..' || s === '' || s.includes('\\'))) {
    return undefined;
  }
  // `acme/tools.git` is the repository `acme/tools`.
  segments[segments.length - 1] = segments.at(-1)!.replace(/\.git$/, '');
  return segments;
}

/** How many segments of `path` the token's prefix covers: 0 without a prefix, -1 if it does not match. */
function prefixMatch(prefix: string | null | undefined, path: string[] | undefined): number {
  if (!prefix) return 0;
  const wanted = repositorySegments(prefix);
  if (!wanted || wanted.length === 0 || !path || path.length < wanted.length) return -1;
  return wanted.every((s, i) => path[i] === s) ? wanted.length : -1;
}

/**
 * The token for a git host (and repository path, when git sends one), or undefined. A token with
 * a path prefix answers only for paths under it, and the longest matching prefix wins; then
 * tokens whose own URL names the host win over the general rules (github.com, gitlab.com); then
 * the one named `default`.
 */
export function matchGitCredential<T extends GitTokenCandidate>(
  host: string,
  tokens: readonly T[],
  urls: Pick<ProviderUrls, 'githubApiUrl' | 'gitlabUrl'>,
  protocol = 'https',
  path?: string,
): T | undefined {
  const wanted = normalizeGitHost(host, protocol);
  if (!wanted) return undefined;
  const segments = path === undefined ? undefined : repositorySegments(path);
  const matching = tokens
    .filter((t) => hostsServedBy(t, urls).includes(wanted))
    .map((t) => ({ t, depth: prefixMatch(t.path_prefix, segments) }))
    .filter((m) => m.depth >= 0);
  const rank = ({ t, depth }: { t: T; depth: number }) =>
    -depth * 4 + (hostOfUrl(t.url) === wanted ? 0 : 2) + (t.name === 'default' ? 0 : 1);
  return [...matching].sort((a, b) => rank(a) - rank(b))[0]?.t;
}

/**
 * The git URLs (`https://github.com`, `http://127.0.0.1:3000`) for which git must send the
 * repository path with its credential requests (`credential.<url>.useHttpPath`): hosts served by
 * more than one of the tokens, or by a token with a path prefix.
 */
export function hostsNeedingPath(
  tokens: readonly GitTokenCandidate[],
  urls: Pick<ProviderUrls, 'githubApiUrl' | 'gitlabUrl'>,
): string[] {
  const byHost = new Map<string, { count: number; prefixed: boolean; scheme: string }>();
  for (const t of tokens) {
    for (const host of hostsServedBy(t, urls)) {
      const scheme = schemeFor(t, host, urls);
      const entry = byHost.get(host) ?? { count: 0, prefixed: false, scheme };
      entry.count += 1;
      entry.prefixed ||= Boolean(t.path_prefix);
      byHost.set(host, entry);
    }
  }
  return [...byHost]
    .filter(([, e]) => e.count > 1 || e.prefixed)
    .map(([host, e]) => `${e.scheme}://${host}`)
    .sort();
}

/** The scheme git uses for a host: the one of the URL that names it, else https. */
function schemeFor(
  token: GitTokenCandidate,
  host: string,
  urls: Pick<ProviderUrls, 'githubApiUrl' | 'gitlabUrl'>,
): string {
  for (const url of [token.url, urls.githubApiUrl, urls.gitlabUrl]) {
    if (url && hostOfUrl(url) === host) return new URL(url).protocol.replace(':', '');
  }
  return 'https';
}

/** The user name for git over HTTPS when the token has none of its own. */
export function defaultGitUsername(provider: string, account?: string | null): string {
  if (provider === 'github') return 'x-access-token';
  if (provider === 'gitlab') return 'oauth2';
  return account || 'git';
}

/**
 * Whether git may be given a token for `protocol://host`: https always; plain http only to a
 * loopback host (a token sent over http could be read on the way), by the same rule a saved
 * provider URL follows.
 */
export function gitProtocolAllowed(protocol: string, host: string): boolean {
  const scheme = protocol.toLowerCase();
  if (scheme === 'https') return true;
  if (scheme !== 'http') return false;
  const name = host.replace(/:\d+$/, '');
  return isLoopbackHost(name);
}
