// The provider clients behind one door: test a stored token or key against its provider, and
// register an SSH public key with a git provider. Base URLs come from the configuration, the
// token's own URL wins for GitLab and is required for Forgejo.
//
// Custom AI keys: with a URL, the URL is taken as an OpenAI-compatible base and
// `GET {url}/models` is tried with a Bearer key; without one there is nothing to test against,
// so the answer is 'unreachable' with a detail saying so (the key is still stored and injected).
import type { ProviderUrls } from '../config';
import { AppError } from '../errors';
import { testAnthropicKey } from './anthropic';
import { registerForgejoKey, testForgejoToken } from './forgejo';
import { registerGithubKey, testGithubToken } from './github';
import { registerGitlabKey, testGitlabToken } from './gitlab';
import { testGoogleKey } from './google';
import { testOpenaiCompatibleKey, testOpenaiKey } from './openai';
import type {
  ClientOptions,
  CredentialToTest,
  GitProvider,
  RegisterResult,
  TestResult,
} from './types';
import { siteBaseUrl } from './urls';

export type {
  AiProvider,
  ClientOptions,
  CredentialToTest,
  GitProvider,
  RegisterResult,
  TestResult,
} from './types';
export { validateProviderUrl, isLoopbackHost } from './urls';
export {
  defaultGitUsername,
  gitHostFor,
  gitProtocolAllowed,
  githubHosts,
  hostOfUrl,
  matchGitCredential,
  normalizeGitHost,
} from './gitHosts';
export type { GitTokenCandidate } from './gitHosts';
export { publicKeyIdentity } from './registration';
export { DEFAULT_TIMEOUT_MS, USER_AGENT } from './http';

/** A user-given URL checked, or a TestResult saying why it cannot be used. */
function userUrl(
  url: string,
  apiSuffix: string,
  what: string,
): { url: string } | { result: TestResult } {
  try {
    return { url: siteBaseUrl(url, apiSuffix) };
  } catch (err) {
    const why = err instanceof AppError ? err.message : 'it is not a valid URL.';
    return {
      result: {
        status: 'unreachable',
        detail: `The ${what} URL of this token cannot be used: ${why}`,
      },
    };
  }
}

export async function testCredential(
  cred: CredentialToTest,
  urls: ProviderUrls,
  opts: ClientOptions = {},
): Promise<TestResult> {
  const key = `${cred.type}:${cred.provider}`;
  switch (key) {
    case 'git_token:github':
      return testGithubToken(cred.token, urls.githubApiUrl, opts);
    case 'git_token:gitlab': {
      const site = cred.url ? userUrl(cred.url, '/api/v4', 'GitLab') : { url: urls.gitlabUrl };
      return 'result' in site ? site.result : testGitlabToken(cred.token, site.url, opts);
    }
    case 'git_token:forgejo': {
      if (!cred.url) {
        return {
          status: 'unreachable',
          detail:
            'This Forgejo token has no server URL; set the URL of your Forgejo or Gitea server.',
        };
      }
      const site = userUrl(cred.url, '/api/v1', 'Forgejo');
      return 'result' in site ? site.result : testForgejoToken(cred.token, site.url, opts);
    }
    case 'ai_token:openai':
      return testOpenaiKey(cred.token, urls.openaiBaseUrl, opts);
    case 'ai_token:anthropic':
      return testAnthropicKey(cred.token, urls.anthropicBaseUrl, opts);
    case 'ai_token:google':
      return testGoogleKey(cred.token, urls.googleAiBaseUrl, opts);
    case 'ai_token:custom': {
      const label = cred.envVar ? `custom key ${cred.envVar}` : 'custom key';
      if (!cred.url) {
        return {
          status: 'unreachable',
          detail: `There is nothing to test the ${label} against: it has no URL. Set the endpoint's base URL (OpenAI-compatible, where /models lists models) to test it; the key is stored and injected either way.`,
        };
      }
      const site = userUrl(cred.url, '', 'custom endpoint');
      return 'result' in site
        ? site.result
        : testOpenaiCompatibleKey('Custom AI endpoint', cred.token, site.url, opts);
    }
    default:
      throw new AppError(
        'BAD_REQUEST',
        `Unknown provider "${cred.provider}" for a ${cred.type === 'ai_token' ? 'AI key' : 'git token'}.`,
      );
  }
}

export async function registerSshKey(
  cred: { provider: string; token: string; url?: string | null },
  key: { title: string; publicKey: string },
  urls: ProviderUrls,
  opts: ClientOptions = {},
): Promise<RegisterResult> {
  const provider = cred.provider as GitProvider;
  if (provider === 'github') return registerGithubKey(cred.token, urls.githubApiUrl, key, opts);
  if (provider === 'gitlab' || provider === 'forgejo') {
    const raw = cred.url || (provider === 'gitlab' ? urls.gitlabUrl : undefined);
    if (!raw)
      return {
        status: 'error',
        detail:
          'This Forgejo token has no server URL; set the URL of your Forgejo or Gitea server.',
      };
    let site: string;
    try {
      site = cred.url ? siteBaseUrl(raw, provider === 'gitlab' ? '/api/v4' : '/api/v1') : raw;
    } catch (err) {
      return {
        status: 'error',
        detail: `The token's URL cannot be used: ${err instanceof AppError ? err.message : 'invalid URL.'}`,
      };
    }
    return provider === 'gitlab'
      ? registerGitlabKey(cred.token, site, key, opts)
      : registerForgejoKey(cred.token, site, key, opts);
  }
  throw new AppError(
    'BAD_REQUEST',
    `SSH keys can be registered with github, gitlab or forgejo, not "${cred.provider}".`,
  );
}
