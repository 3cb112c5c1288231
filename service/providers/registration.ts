// Helpers for adding a public key to a git provider account: keys are compared by type and
// base64 blob (providers drop or change the comment), and "already there" is confirmed by
// finding the key in the account's own list, so a key held by another account is an error.
import type { ProviderResponse } from './http';
import { registerFailure } from './results';
import type { RegisterResult } from './types';

/** `ssh-ed25519 AAAA…` without the comment; undefined for anything that is not a key line. */
export function publicKeyIdentity(line: string): string | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2) return undefined;
  const [type, blob] = parts as [string, string];
  if (!/^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9]+|sk-[a-z0-9@.-]+)$/.test(type)) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  return `${type} ${blob}`;
}

export const MAX_KEY_PAGES = 10;

export type KeyListing =
  { found: true; remoteId?: string } | { found: false; failure?: ProviderResponse };

/**
 * Looks for a key in a paged list (`fetchPage(1)`, `fetchPage(2)`, …, at most MAX_KEY_PAGES),
 * each page an array of `{id, key}`; stops at the first short or empty page.
 */
export async function findKeyInPages(
  identity: string,
  pageSize: number,
  fetchPage: (page: number) => Promise<ProviderResponse>,
): Promise<KeyListing> {
  for (let page = 1; page <= MAX_KEY_PAGES; page += 1) {
    const res = await fetchPage(page);
    if (!res.ok || res.status !== 200 || !Array.isArray(res.json))
      return { found: false, failure: res };
    const entries = res.json as Array<{ id?: unknown; key?: unknown }>;
    for (const e of entries) {
      if (typeof e?.key === 'string' && publicKeyIdentity(e.key) === identity) {
        return { found: true, remoteId: e.id === undefined ? undefined : String(e.id) };
      }
    }
    if (entries.length < pageSize) break;
  }
  return { found: false };
}

/** The provider created the key (HTTP 201): registered, with the provider's id for it. */
export function keyAddedResult(json: unknown, account: string): RegisterResult {
  const id = (json as { id?: unknown } | undefined)?.id;
  return {
    status: 'registered',
    detail: `The key was added to ${account}.`,
    ...(id === undefined ? {} : { remoteId: String(id) }),
  };
}

/** The key was found in the account's own list: it is there already. */
export function alreadyThereResult(remoteId: string | undefined, account: string): RegisterResult {
  return {
    status: 'already_registered',
    detail: `The key is already on ${account}.`,
    ...(remoteId ? { remoteId } : {}),
  };
}

/**
 * The provider said the key is taken: on this account (found in its list), unknown (the list
 * could not be read), or held by another account.
 */
export function keyTakenResult(
  listing: KeyListing,
  where: { name: string; origin: string; account: string },
  texts: { listFailed: string; otherAccount: string },
): RegisterResult {
  if (listing.found) return alreadyThereResult(listing.remoteId, where.account);
  if (listing.failure) {
    return registerFailure(where.name, where.origin, listing.failure, texts.listFailed);
  }
  return { status: 'error', detail: texts.otherAccount };
}
