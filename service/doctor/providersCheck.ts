// Checks that each configured provider API root answers at all (any HTTP status will do: it
// proves the address and the TLS path work), and that plain HTTP is used only on loopback.
import type { ProviderUrls } from '../config';
import { isLoopbackHost } from './redact';
import { describeError } from './timeout';
import { type CheckResult, PROBE_TIMEOUT_MS } from './types';

const PROVIDERS: Array<{ label: string; variable: string; key: keyof ProviderUrls }> = [
  { label: 'github', variable: 'GITHUB_API_URL', key: 'githubApiUrl' },
  { label: 'gitlab', variable: 'GITLAB_URL', key: 'gitlabUrl' },
  { label: 'openai', variable: 'OPENAI_BASE_URL', key: 'openaiBaseUrl' },
  { label: 'anthropic', variable: 'ANTHROPIC_BASE_URL', key: 'anthropicBaseUrl' },
  { label: 'google', variable: 'GOOGLE_AI_BASE_URL', key: 'googleAiBaseUrl' },
];

async function checkProvider(
  label: string,
  variable: string,
  baseUrl: string,
): Promise<CheckResult> {
  const name = `provider ${label}`;
  const url = new URL(baseUrl);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return {
      name,
      status: 'fail',
      message: `${variable}=${baseUrl} is not https; tokens would cross the network in clear text`,
      fix: `use an https:// URL (plain http is accepted only for loopback hosts)`,
    };
  }
  try {
    // No redirects followed and no body read: the answer's arrival is all this check needs.
    const res = await fetch(baseUrl, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      headers: { 'user-agent': 'xares-credentials-doctor' },
    });
    await res.body?.cancel();
    return { name, status: 'ok', message: `${baseUrl} answers (HTTP ${res.status})` };
  } catch (err) {
    const cause = (err as { cause?: unknown } | null)?.cause;
    const reason =
      (err as { name?: unknown } | null)?.name === 'TimeoutError'
        ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
        : describeError(cause ?? err);
    // A provider nobody uses may well be unreachable (air-gapped sites): tests of its tokens
    // will report it, so this warns instead of failing the run.
    return {
      name,
      status: 'warn',
      message: `${baseUrl} does not answer: ${reason}`,
      fix: `check the network path and proxy to it, or set ${variable} to the address your site uses`,
    };
  }
}

export async function checkProviders(providers: ProviderUrls): Promise<CheckResult[]> {
  return Promise.all(PROVIDERS.map((p) => checkProvider(p.label, p.variable, providers[p.key])));
}
