// GitLab client (gitlab.com or self-hosted): token test by `GET /api/v4/user` with the token's
// scopes and expiry from `GET /api/v4/personal_access_tokens/self`; SSH key registration by
// `POST /api/v4/user/keys`.
import { cleanProviderText, originOf, providerFetch } from './http';
import { findKeyInPages, keyAddedResult, keyTakenResult, publicKeyIdentity } from './registration';
import {
  formatDate,
  inconclusiveResult,
  notTheApiResult,
  registerFailure,
  rejectedResult,
  unreachableResult,
} from './results';
import type { ClientOptions, KeyUsage, RegisterResult, TestResult } from './types';

const NAME = 'GitLab';

/** GitLab's `expires_at: "2026-12-31"`: the token stops working at 00:00 UTC that day. */
export function parseGitlabExpiry(value: unknown): number | null | undefined {
  if (value === null) return null;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) ? undefined : ms;
}

/** How GitLab takes a token: personal access tokens as PRIVATE-TOKEN, OAuth tokens as Bearer. */
export function gitlabAuthHeaders(token: string, oauth = false): Record<string, string> {
  return oauth ? { Authorization: `Bearer ${token}` } : { 'PRIVATE-TOKEN': token };
}

export async function testGitlabToken(
  token: string,
  siteUrl: string,
  opts: ClientOptions = {},
  oauth = false,
): Promise<TestResult> {
  const origin = originOf(siteUrl);
  const headers = gitlabAuthHeaders(token, oauth);
  const res = await providerFetch(`${siteUrl}/api/v4/user`, { headers, timeoutMs: opts.timeoutMs });
  if (!res.ok) return unreachableResult(NAME, origin, res);
  if (res.status === 401) return rejectedResult(NAME, 401);
  if (res.status === 403) {
    const scopeProblem = /insufficient_scope/.test(res.text);
    return rejectedResult(
      NAME,
      403,
      scopeProblem
        ? 'It lacks a scope that can read the user (api, read_api or read_user).'
        : undefined,
    );
  }
  if (res.status !== 200) return inconclusiveResult(NAME, origin, res);
  const username = cleanProviderText(
    (res.json as { username?: unknown } | undefined)?.username,
    token,
    100,
  );
  if (!username) return notTheApiResult(NAME, origin);

  // Scopes and expiry are only known for personal (and project/group) access tokens; an
  // older GitLab or another kind of token answers 404 here, which leaves them unknown.
  const self = await providerFetch(`${siteUrl}/api/v4/personal_access_tokens/self`, {
    headers,
    timeoutMs: opts.timeoutMs,
  });
  let scopes: string[] | undefined;
  let expiresAt: number | null | undefined;
  if (self.ok && self.status === 200 && self.json && typeof self.json === 'object') {
    const body = self.json as { scopes?: unknown; expires_at?: unknown };
    if (Array.isArray(body.scopes))
      scopes = body.scopes.filter((s): s is string => typeof s === 'string');
    expiresAt = parseGitlabExpiry(body.expires_at);
  }
  const parts = [`The token is valid for GitLab user ${username}.`];
  if (scopes) {
    parts.push(scopes.length ? `Scopes: ${scopes.join(', ')}.` : 'It has no scopes.');
    if (!scopes.includes('api')) {
      parts.push(
        'Warning: it lacks the "api" scope, so SSH keys cannot be registered and projects cannot be created with it.',
      );
    }
    if (!scopes.includes('api') && !scopes.includes('write_repository')) {
      parts.push('Without "write_repository" (or "api") git cannot push with it.');
    }
  }
  if (typeof expiresAt === 'number') parts.push(`It expires on ${formatDate(expiresAt)}.`);
  return {
    status: 'valid',
    detail: parts.join(' '),
    account: username,
    ...(scopes ? { scopes } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

const USAGE_TYPE = {
  authentication: 'auth',
  signing: 'signing',
  both: 'auth_and_signing',
} as const;

export async function registerGitlabKey(
  token: string,
  siteUrl: string,
  key: { title: string; publicKey: string },
  opts: ClientOptions = {},
  usage: KeyUsage = 'authentication',
  oauth = false,
): Promise<RegisterResult> {
  const origin = originOf(siteUrl);
  const identity = publicKeyIdentity(key.publicKey);
  if (!identity) return { status: 'error', detail: 'The public key is not in OpenSSH format.' };
  const headers = gitlabAuthHeaders(token, oauth);
  const res = await providerFetch(`${siteUrl}/api/v4/user/keys`, {
    method: 'POST',
    headers,
    json: { title: key.title, key: key.publicKey, usage_type: USAGE_TYPE[usage] },
    timeoutMs: opts.timeoutMs,
  });
  if (res.ok && res.status === 201) return keyAddedResult(res.json, 'your GitLab account');
  if (res.ok && res.status === 400 && /has already been taken/i.test(res.text)) {
    const listing = await findKeyInPages(identity, 100, (page) =>
      providerFetch(`${siteUrl}/api/v4/user/keys?per_page=100&page=${page}`, {
        headers,
        timeoutMs: opts.timeoutMs,
      }),
    );
    return keyTakenResult(
      listing,
      { name: NAME, origin, account: 'your GitLab account' },
      {
        listFailed: 'It said the key is taken, and listing your keys failed.',
        otherAccount:
          'GitLab says this key is already used by another account; a key can belong to one account only.',
      },
    );
  }
  if (res.ok && res.status === 403) {
    return registerFailure(NAME, origin, res, 'The token needs the "api" scope to add SSH keys.');
  }
  if (res.ok && res.status === 400) {
    const body = res.json as { message?: unknown; error?: unknown } | undefined;
    const why = cleanProviderText(
      typeof body?.error === 'string' ? body.error : JSON.stringify(body?.message ?? ''),
      token,
    );
    return registerFailure(NAME, origin, res, why ? `GitLab said: ${why}.` : undefined);
  }
  return registerFailure(NAME, origin, res);
}
