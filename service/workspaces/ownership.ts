// Whose a container is. The xaresaicoder.owner label names the owner; anyone who can start a
// container on the engine can write that label, so with CREDENTIAL_WORKSPACE_LABEL_SECRET set the
// label counts only together with xaresaicoder.owner-sig, an HMAC the platform that creates
// workspaces computes over owner and container name. Ids given by a caller are resolved only
// among that caller's own containers, never by Docker's engine-wide lookup.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Docker from 'dockerode';
import { mapDockerError } from './docker';

export const OWNER_LABEL = 'xaresaicoder.owner';
export const OWNER_SIG_LABEL = 'xaresaicoder.owner-sig';

const LIST_TIMEOUT_MS = 15_000;
const SIG_PATTERN = /^[0-9a-f]{64}$/;

/**
 * hex HMAC-SHA256(secret, `<owner>\n<name>`), the name as `docker ps` shows it (without the
 * leading '/' of the Engine API). The secret's UTF-8 bytes are the key, as `openssl -hmac` takes it.
 */
export function ownerSignature(secret: string, owner: string, name: string): string {
  return createHmac('sha256', secret).update(`${owner}\n${name}`, 'utf8').digest('hex');
}

/** Docker's canonical name of a container without the leading '/' (links add `/a/b` aliases). */
export function containerName(names: readonly string[] | string | undefined): string | null {
  const list = typeof names === 'string' ? [names] : (names ?? []);
  const canonical = list.find((n) => n.lastIndexOf('/') === 0) ?? list[0];
  return canonical ? canonical.replace(/^\//, '') : null;
}

/**
 * True when the labels make the container `username`'s: the owner label, and with a secret a
 * signature over owner and name. The signature is compared in constant time.
 */
export function isOwnedBy(
  labels: Record<string, string> | null | undefined,
  name: string | null,
  username: string,
  secret: string | undefined,
): boolean {
  if (!labels || labels[OWNER_LABEL] !== username) return false;
  if (secret === undefined) return true;
  const given = labels[OWNER_SIG_LABEL]?.toLowerCase();
  if (!given || !SIG_PATTERN.test(given) || name === null) return false;
  const expected = Buffer.from(ownerSignature(secret, username, name), 'hex');
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/** Every container (any state) that is `username`'s, asked of the engine by label. */
export async function listOwnedContainers(
  docker: Docker,
  username: string,
  secret: string | undefined,
): Promise<Docker.ContainerInfo[]> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({
      all: true,
      filters: { label: [`${OWNER_LABEL}=${username}`] },
      abortSignal: AbortSignal.timeout(LIST_TIMEOUT_MS),
    } as Docker.ContainerListOptions);
  } catch (e) {
    return mapDockerError(e);
  }
  // The engine filtered already; checking again costs nothing and does not depend on it.
  return containers.filter((c) => isOwnedBy(c.Labels, containerName(c.Names), username, secret));
}

/** The container found, or null with how many of the caller's ids share the prefix given. */
export type Match<T> = { found: T } | { found: null; ambiguous: number };

/**
 * The one container among `containers` that `given` names: the full id, else the name, else a
 * unique id prefix (Docker's order, but only over these containers).
 */
export function matchContainer<T extends { Id: string; Names?: string[] }>(
  containers: readonly T[],
  given: string,
): Match<T> {
  const wanted = given.replace(/^\//, '');
  const byId = containers.find((c) => c.Id === wanted);
  if (byId) return { found: byId };
  const byName = containers.find((c) => containerName(c.Names) === wanted);
  if (byName) return { found: byName };
  const byPrefix = containers.filter((c) => c.Id.startsWith(wanted));
  const [only] = byPrefix;
  if (only && byPrefix.length === 1) return { found: only };
  return { found: null, ambiguous: byPrefix.length };
}
