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
 * The token for a git host, or undefined. Tokens whose own URL names the host win over the
 * general rules (github.com, gitlab.com); among equals the one named `default` wins.
 */
export function matchGitCredential<T extends GitTokenCandidate>(
  host: string,
  tokens: readonly T[],
  urls: Pick<ProviderUrls, 'githubApiUrl' | 'gitlabUrl'>,
  protocol = 'https',
): T | undefined {
  const wanted = normalizeGitHost(host, protocol);
  if (!wanted) return undefined;
  const matching = tokens.filter((t) => hostsServedBy(t, urls).includes(wanted));
  const rank = (t: T) => (hostOfUrl(t.url) === wanted ? 0 : 2) + (t.name === 'default' ? 0 : 1);
  return [...matching].sort((a, b) => rank(a) - rank(b))[0];
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
