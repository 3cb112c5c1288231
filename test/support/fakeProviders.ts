// Loopback fakes of the provider APIs (GitHub, GitLab, Forgejo, OpenAI, Anthropic, Google) for
// every test that reaches a provider: one HTTP server per provider on 127.0.0.1, random port.
//
//   const fake = await startFakeProviders();
//   fake.github.addToken('ghp_x', { login: 'alice', scopes: ['repo'] });
//   loadConfig({ ...fake.env, ... })  or  testCredential(cred, fake.providerUrls)
//   fake.whereSeen('ghp_x')  ->  where the token travelled (header names, url, body)
//   await fake.close();
//
// Run as a program (`npx tsx test/support/fakeProviders.ts`) it prints its URLs as one JSON
// line and serves until SIGTERM; control it over HTTP at each server's `/__fake/token`,
// `/__fake/fault`, `/__fake/requests`, `/__fake/clear-requests` and (AI fakes) `/__fake/reply`.
import net from 'node:net';
import { FakeAnthropic, FakeGoogle, FakeOpenai } from './fakeProviderApis/ai';
import type { Fault, FakeProvider, ProviderName, RecordedRequest } from './fakeProviderApis/base';
import { FakeForgejo } from './fakeProviderApis/forgejo';
import { FakeGithub } from './fakeProviderApis/github';
import { FakeGitlab } from './fakeProviderApis/gitlab';

export type { Fault, ProviderName, RecordedRequest } from './fakeProviderApis/base';
export type { GithubTokenOptions } from './fakeProviderApis/github';
export type { GitlabTokenOptions } from './fakeProviderApis/gitlab';
export type { ForgejoTokenOptions } from './fakeProviderApis/forgejo';
export type { AiKeyOptions } from './fakeProviderApis/ai';
export { FakeAnthropic, FakeForgejo, FakeGithub, FakeGitlab, FakeGoogle, FakeOpenai };

/** Same fields as `ProviderUrls` of service/config.ts, plus Forgejo's base URL (from a token). */
export interface FakeProviderUrls {
  githubApiUrl: string;
  gitlabUrl: string;
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  googleAiBaseUrl: string;
  forgejoUrl: string;
}

/** Where a secret was seen: a header (by lower-case name), the URL (path or query) or the body. */
export interface Sighting {
  provider: ProviderName;
  method: string;
  path: string;
  location: `header:${string}` | 'url' | 'body';
}

export interface FakeProviders {
  github: FakeGithub;
  gitlab: FakeGitlab;
  forgejo: FakeForgejo;
  openai: FakeOpenai;
  anthropic: FakeAnthropic;
  google: FakeGoogle;
  urls: FakeProviderUrls;
  /** The five `ProviderUrls` only, ready for `testCredential(..., urls)`. */
  providerUrls: Omit<FakeProviderUrls, 'forgejoUrl'>;
  /** The contract's variables (GITHUB_API_URL ...) pointing at the fakes. */
  env: Record<string, string>;
  all: FakeProvider[];
  /** Every provider's requests, oldest first. */
  requests(): RecordedRequest[];
  /** Every place a secret appeared in requests received so far (also base64 inside Basic auth). */
  whereSeen(secret: string): Sighting[];
  clearRequests(): void;
  setFaultAll(fault: Fault | null): void;
  close(): Promise<void>;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const github = new FakeGithub();
  const gitlab = new FakeGitlab();
  const forgejo = new FakeForgejo();
  const openai = new FakeOpenai();
  const anthropic = new FakeAnthropic();
  const google = new FakeGoogle();
  const all: FakeProvider[] = [github, gitlab, forgejo, openai, anthropic, google];
  try {
    await Promise.all(all.map((p) => p.start()));
  } catch (err) {
    await Promise.all(all.map((p) => p.close()));
    throw err;
  }
  const urls: FakeProviderUrls = {
    // The GitHub Enterprise form, so that host matching for GHE is exercised too.
    githubApiUrl: `${github.origin}/api/v3`,
    gitlabUrl: gitlab.origin,
    openaiBaseUrl: `${openai.origin}/v1`,
    anthropicBaseUrl: anthropic.origin,
    googleAiBaseUrl: google.origin,
    forgejoUrl: forgejo.origin,
  };
  const { forgejoUrl: _forgejo, ...providerUrls } = urls;
  const requests = () => all.flatMap((p) => p.requests).sort((a, b) => a.at - b.at);
  return {
    github,
    gitlab,
    forgejo,
    openai,
    anthropic,
    google,
    urls,
    providerUrls,
    env: {
      GITHUB_API_URL: urls.githubApiUrl,
      GITLAB_URL: urls.gitlabUrl,
      OPENAI_BASE_URL: urls.openaiBaseUrl,
      ANTHROPIC_BASE_URL: urls.anthropicBaseUrl,
      GOOGLE_AI_BASE_URL: urls.googleAiBaseUrl,
    },
    all,
    requests,
    whereSeen: (secret) => findSecret(requests(), secret),
    clearRequests: () => all.forEach((p) => p.clearRequests()),
    setFaultAll: (fault) => all.forEach((p) => p.setFault(fault)),
    close: async () => {
      await Promise.all(all.map((p) => p.close()));
    },
  };
}

export function findSecret(requests: RecordedRequest[], secret: string): Sighting[] {
  const out: Sighting[] = [];
  const encodings = [secret, encodeURIComponent(secret)];
  const seen = (text: string) => encodings.some((e) => text.includes(e));
  for (const r of requests) {
    const at = { provider: r.provider, method: r.method, path: r.path };
    for (const [name, value] of Object.entries(r.headers)) {
      const basic = /^basic\s+(\S+)/i.exec(value);
      const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : '';
      if (seen(value) || (decoded && seen(decoded)))
        out.push({ ...at, location: `header:${name}` });
    }
    if (seen(r.url)) out.push({ ...at, location: 'url' });
    if (seen(r.body)) out.push({ ...at, location: 'body' });
  }
  return out;
}

/**
 * A loopback URL where nothing listens (a port bound and released), for "connection refused".
 * Another process could take the port in between; tests on this machine accept that small race.
 */
export async function refusedLoopbackUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

if (require.main === module) {
  void startFakeProviders().then((fake) => {
    console.log(JSON.stringify({ urls: fake.urls, env: fake.env }));
    const stop = () => void fake.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
