// Forgejo / Gitea client (always at the token's own URL): token test by `GET /api/v1/user`,
// SSH key registration by `POST /api/v1/user/keys`. Forgejo does not report a token's scopes.
import { cleanProviderText, originOf, providerFetch } from './http';
import {
  alreadyThereResult,
  findKeyInPages,
  keyAddedResult,
  publicKeyIdentity,
} from './registration';
import {
  inconclusiveResult,
  notTheApiResult,
  registerFailure,
  rejectedResult,
  unreachableResult,
} from './results';
import type { ClientOptions, RegisterResult, TestResult } from './types';

const NAME = 'Forgejo';
const PAGE = 50;

function headers(token: string): Record<string, string> {
  return { Authorization: `token ${token}` };
}

function message(json: unknown, token: string): string {
  return cleanProviderText((json as { message?: unknown } | undefined)?.message, token);
}

export async function testForgejoToken(
  token: string,
  siteUrl: string,
  opts: ClientOptions = {},
): Promise<TestResult> {
  const origin = originOf(siteUrl);
  const res = await providerFetch(`${siteUrl}/api/v1/user`, {
    headers: headers(token),
    timeoutMs: opts.timeoutMs,
  });
  if (!res.ok) return unreachableResult(NAME, origin, res);
  if (res.status === 401) return rejectedResult(NAME, 401);
  if (res.status === 403) {
    const why = message(res.json, token);
    return rejectedResult(NAME, 403, /scope/i.test(why) ? `It lacks a scope: ${why}.` : undefined);
  }
  if (res.status !== 200) return inconclusiveResult(NAME, origin, res);
  const login = cleanProviderText((res.json as { login?: unknown } | undefined)?.login, token, 100);
  if (!login) return notTheApiResult(NAME, origin);
  return {
    status: 'valid',
    detail: `The token is valid for ${NAME} user ${login} at ${origin}.`,
    account: login,
  };
}

export async function registerForgejoKey(
  token: string,
  siteUrl: string,
  key: { title: string; publicKey: string },
  opts: ClientOptions = {},
): Promise<RegisterResult> {
  const origin = originOf(siteUrl);
  const identity = publicKeyIdentity(key.publicKey);
  if (!identity) return { status: 'error', detail: 'The public key is not in OpenSSH format.' };
  const post = (title: string) =>
    providerFetch(`${siteUrl}/api/v1/user/keys`, {
      method: 'POST',
      headers: headers(token),
      json: { title, key: key.publicKey, read_only: false },
      timeoutMs: opts.timeoutMs,
    });
  let res = await post(key.title);
  // Forgejo wants key titles unique per account; a replaced key keeps the old title, so try
  // once more with the fingerprint-like tail of the key in the title.
  if (res.ok && res.status === 422 && /title has been used/i.test(message(res.json, token))) {
    res = await post(`${key.title} ${identity.slice(-8)}`);
  }
  if (res.ok && res.status === 201)
    return keyAddedResult(res.json, `your ${NAME} account at ${origin}`);
  if (res.ok && res.status === 422) {
    const listing = await findKeyInPages(identity, PAGE, (page) =>
      providerFetch(`${siteUrl}/api/v1/user/keys?limit=${PAGE}&page=${page}`, {
        headers: headers(token),
        timeoutMs: opts.timeoutMs,
      }),
    );
    if (listing.found) {
      return alreadyThereResult(listing.remoteId, `your ${NAME} account at ${origin}`);
    }
    const why = message(res.json, token);
    if (/has been used/i.test(why)) {
      return {
        status: 'error',
        detail: `${NAME} says this key is already used by another account; a key can belong to one account only.`,
      };
    }
    return registerFailure(NAME, origin, res, why ? `${NAME} said: ${why}.` : undefined);
  }
  if (res.ok && res.status === 403) {
    const why = message(res.json, token);
    return registerFailure(
      NAME,
      origin,
      res,
      why ? `${NAME} said: ${why}.` : 'The token needs the "write:user" scope.',
    );
  }
  return registerFailure(NAME, origin, res);
}
