// GitHub (and GitHub Enterprise) client: token test by `GET /user`, with the scopes of classic
// tokens from `X-OAuth-Scopes` and the expiry from `GitHub-Authentication-Token-Expiration`;
// SSH key registration by `POST /user/keys`.
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
import type { ClientOptions, RegisterResult, TestResult } from './types';

const NAME = 'GitHub';

function headers(token: string): Record<string, string> {
  return {
    Authorization: `Bearer ${token}`,
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': '2022-11-28',
  };
}

/**
 * GitHub's expiration header: `2026-12-31 23:59:59 UTC`, or with a numeric offset
 * (`2026-12-31 15:59:59 -0800`). Undefined when absent or unreadable.
 */
export function parseGithubExpiration(value: string | null): number | undefined {
  if (!value) return undefined;
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2})?$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone] = m;
  let offsetMinutes = 0;
  if (zone && /^[+-]/.test(zone)) {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(utc) ? undefined : utc - offsetMinutes * 60_000;
}

/** `X-OAuth-Scopes: repo, read:user` -> ['repo', 'read:user']; undefined when the header is absent. */
export function parseGithubScopes(value: string | null): string[] | undefined {
  if (value === null) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function testGithubToken(
  token: string,
  apiUrl: string,
  opts: ClientOptions = {},
): Promise<TestResult> {
  const origin = originOf(apiUrl);
  const res = await providerFetch(`${apiUrl}/user`, {
    headers: headers(token),
    timeoutMs: opts.timeoutMs,
  });
  if (!res.ok) return unreachableResult(NAME, origin, res);
  if (res.status === 401 || res.status === 403) return rejectedResult(NAME, res.status);
  if (res.status !== 200) return inconclusiveResult(NAME, origin, res);
  const login = cleanProviderText((res.json as { login?: unknown } | undefined)?.login, token, 100);
  if (!login) return notTheApiResult(NAME, origin);

  const scopes = parseGithubScopes(res.headers.get('x-oauth-scopes'));
  const expiresAt = parseGithubExpiration(
    res.headers.get('github-authentication-token-expiration'),
  );
  const parts = [`The token is valid for GitHub account ${login}.`];
  if (scopes === undefined) {
    parts.push(
      'GitHub does not list the permissions of fine-grained tokens; make sure it may read and write the repositories you need.',
    );
  } else {
    parts.push(scopes.length ? `Scopes: ${scopes.join(', ')}.` : 'It has no scopes.');
    // `repo` covers private repositories; without it pushes to them and repo creation fail.
    if (!scopes.includes('repo')) {
      parts.push(
        'Warning: it lacks the "repo" scope, so private repositories cannot be cloned, pushed or created with it.',
      );
    }
  }
  if (expiresAt !== undefined) parts.push(`It expires on ${formatDate(expiresAt)}.`);
  return {
    status: 'valid',
    detail: parts.join(' '),
    account: login,
    ...(scopes === undefined ? {} : { scopes }),
    // No header on a valid answer means the token does not expire (or GitHub does not say).
    expiresAt: expiresAt ?? null,
  };
}

/**
 * Adds the key at GitHub: `authentication` as an SSH key (`/user/keys`), `signing` as an SSH
 * signing key (`/user/ssh_signing_keys`, which GitHub keeps apart).
 */
export async function registerGithubKey(
  token: string,
  apiUrl: string,
  key: { title: string; publicKey: string },
  opts: ClientOptions = {},
  kind: 'authentication' | 'signing' = 'authentication',
): Promise<RegisterResult> {
  const origin = originOf(apiUrl);
  const identity = publicKeyIdentity(key.publicKey);
  if (!identity) return { status: 'error', detail: 'The public key is not in OpenSSH format.' };
  const endpoint = kind === 'signing' ? 'ssh_signing_keys' : 'keys';
  const account =
    kind === 'signing' ? 'your GitHub account as a signing key' : 'your GitHub account';
  const res = await providerFetch(`${apiUrl}/user/${endpoint}`, {
    method: 'POST',
    headers: headers(token),
    json: { title: key.title, key: key.publicKey },
    timeoutMs: opts.timeoutMs,
  });
  if (res.ok && res.status === 201) return keyAddedResult(res.json, account);
  if (res.ok && res.status === 422 && /already in use/i.test(res.text)) {
    const listing = await findKeyInPages(identity, 100, (page) =>
      providerFetch(`${apiUrl}/user/${endpoint}?per_page=100&page=${page}`, {
        headers: headers(token),
        timeoutMs: opts.timeoutMs,
      }),
    );
    return keyTakenResult(
      listing,
      { name: NAME, origin, account },
      {
        listFailed: 'It said the key is in use, and listing your keys failed.',
        otherAccount:
          'GitHub says this key is already in use by another GitHub account; a key can belong to one account only.',
      },
    );
  }
  if (res.ok && res.status === 404) {
    return registerFailure(
      NAME,
      origin,
      res,
      kind === 'signing'
        ? 'The token probably lacks the "admin:ssh_signing_key" (or "write:ssh_signing_key") scope.'
        : 'The token probably lacks the "admin:public_key" (or "write:public_key") scope.',
    );
  }
  if (res.ok && res.status === 422) {
    const errors = (res.json as { errors?: Array<{ message?: unknown }> } | undefined)?.errors;
    const why = cleanProviderText(
      errors
        ?.map((e) => e?.message)
        .filter((m) => typeof m === 'string')
        .join('; '),
      token,
    );
    return registerFailure(NAME, origin, res, why ? `GitHub said: ${why}.` : undefined);
  }
  return registerFailure(NAME, origin, res);
}
