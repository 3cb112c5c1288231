// SSH keys: generate (ed25519), import, list, get by name, delete, and register the public key
// with a git provider using the user's stored token. The private key never leaves through here.
import { AppError } from '../errors';
import { type KeyUsage, registerSshKey as registerWithProvider } from '../providers';
import type {
  GenerateSshKeyInputT,
  ImportSshKeyInputT,
  RegisterResult,
  SshKey,
} from '../api/sshKeys';
import type { GitProvider } from '../vocabulary';
import {
  generateSshKey as makeKey,
  importSshKey as readKey,
  type SshKeyMaterial,
} from '../ssh/keys';
import {
  type CredentialInfo,
  createCredential,
  deleteCredential,
  findCredentialInfoByName,
  findCredentialForUser,
  findCredentialInfo,
  listCredentials,
  updateCredential,
} from '../store/credentials';
import {
  deleteRegistrations,
  listRegistrations,
  type Registration,
  upsertRegistration,
} from '../store/registrations';
import { revealSecret } from '../crypto/secrets';
import { audit, auditChange, auditFields, deniedNotFound, iso, isoOrNull } from './common';
import type { DomainContext } from './deps';
import { inTransaction } from '../store/retry';

/** SSH keys share the credentials table under this provider, so (type, provider, name) stays unique. */
const SSH = { type: 'ssh_key', provider: 'ssh' } as const;
const PROVIDER_LABEL: Record<GitProvider, string> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  forgejo: 'Forgejo',
};

function toSshKey(c: CredentialInfo, registrations: Registration[]): SshKey {
  return {
    id: c.id,
    name: c.name,
    keyType: c.hint,
    publicKey: c.public_key ?? '',
    fingerprint: c.fingerprint ?? '',
    createdAt: iso(c.created_at),
    lastUsedAt: isoOrNull(c.last_used_at),
    registrations: registrations
      .filter((r) => r.credential_id === c.id)
      .map((r) => ({
        provider: r.provider,
        status: r.status,
        detail: r.detail,
        checkedAt: iso(r.checked_at),
        usage: r.usage ?? 'authentication',
      })),
  };
}

async function withRegistrations(ctx: DomainContext, info: CredentialInfo): Promise<SshKey> {
  const regs = await listRegistrations(ctx.deps.store.db, ctx.caller.userId, [info.id]);
  return toSshKey(info, regs);
}

async function ownKey(ctx: DomainContext, id: string, action: 'update' | 'delete' | 'register') {
  const info = await findCredentialInfo(ctx.deps.store.db, ctx.caller.userId, id);
  if (!info || info.type !== 'ssh_key') {
    return deniedNotFound(ctx, action, { id, type: 'ssh_key', label: 'SSH key' });
  }
  return info;
}

/** Stores key material as a new key, or over `replacing` (whose registrations then lapse). */
async function store(
  ctx: DomainContext,
  name: string,
  material: SshKeyMaterial,
  replacing: CredentialInfo | undefined,
): Promise<SshKey> {
  const { store: s, keyring } = ctx.deps;
  const info = await inTransaction(s.db, async (trx) => {
    const fields = {
      secret: material.privateKey,
      hint: material.keyType,
      publicKey: material.publicKey,
      fingerprint: material.fingerprint,
    };
    const saved = replacing
      ? await updateCredential(trx, keyring, ctx.caller.userId, replacing.id, fields)
      : await createCredential(trx, keyring, {
          userId: ctx.caller.userId,
          ...SSH,
          name,
          ...fields,
        });
    // A new key is not registered anywhere yet, whatever the old one was.
    if (replacing) await deleteRegistrations(trx, ctx.caller.userId, replacing.id);
    await auditChange(trx, ctx, saved, replacing ? 'update' : 'create');
    return saved;
  });
  return withRegistrations(ctx, info);
}

function defaultComment(ctx: DomainContext): string {
  return `${ctx.caller.username}@xaresaicoder`;
}

export async function generateSshKey(
  ctx: DomainContext,
  input: GenerateSshKeyInputT,
): Promise<SshKey> {
  const name = input.name ?? 'default';
  const existing = await findCredentialInfoByName(ctx.deps.store.db, ctx.caller.userId, {
    ...SSH,
    name,
  });
  if (existing && !input.replace) {
    throw new AppError(
      'CONFLICT',
      `an SSH key named '${name}' already exists; generate with replace: true to replace it`,
    );
  }
  return store(ctx, name, makeKey(input.comment ?? defaultComment(ctx)), existing);
}

export async function importSshKey(ctx: DomainContext, input: ImportSshKeyInputT): Promise<SshKey> {
  const name = input.name ?? 'default';
  const material = await readKey(input.privateKey, { passphrase: input.passphrase });
  const existing = await findCredentialInfoByName(ctx.deps.store.db, ctx.caller.userId, {
    ...SSH,
    name,
  });
  if (existing) {
    throw new AppError('CONFLICT', `an SSH key named '${name}' already exists; delete it first`);
  }
  return store(ctx, name, material, undefined);
}

/** The REST mirror's PUT /ssh-keys/:id: new key material under the same name (import or generate). */
export async function replaceSshKey(
  ctx: DomainContext,
  id: string,
  input: { comment?: string; privateKey?: string; passphrase?: string },
): Promise<SshKey> {
  const current = await ownKey(ctx, id, 'update');
  const material =
    input.privateKey !== undefined
      ? await readKey(input.privateKey, { passphrase: input.passphrase, comment: input.comment })
      : makeKey(input.comment ?? defaultComment(ctx));
  return store(ctx, current.name, material, current);
}

export async function listSshKeys(ctx: DomainContext): Promise<SshKey[]> {
  const db = ctx.deps.store.db;
  const keys = await listCredentials(db, ctx.caller.userId, { type: 'ssh_key' });
  if (keys.length === 0) return [];
  const regs = await listRegistrations(
    db,
    ctx.caller.userId,
    keys.map((k) => k.id),
  );
  return keys.map((k) => toSshKey(k, regs));
}

export async function getSshKeyByName(ctx: DomainContext, name: string): Promise<SshKey> {
  const info = await findCredentialInfoByName(ctx.deps.store.db, ctx.caller.userId, {
    ...SSH,
    name,
  });
  if (!info) throw new AppError('NOT_FOUND', `no SSH key named '${name}'`);
  return withRegistrations(ctx, info);
}

export async function deleteSshKey(ctx: DomainContext, id: string): Promise<{ ok: true }> {
  const current = await ownKey(ctx, id, 'delete');
  await inTransaction(ctx.deps.store.db, async (trx) => {
    if (!(await deleteCredential(trx, ctx.caller.userId, id))) {
      throw new AppError('NOT_FOUND', 'no such SSH key');
    }
    await auditChange(trx, ctx, current, 'delete');
  });
  return { ok: true };
}

/** Adds the public key to the user's account at the provider with their stored token. */
export async function registerSshKey(
  ctx: DomainContext,
  id: string,
  provider: GitProvider,
  usage: KeyUsage = 'authentication',
): Promise<RegisterResult> {
  const key = await ownKey(ctx, id, 'register');
  const { store: s, keyring, config } = ctx.deps;
  const tokens = await listCredentials(s.db, ctx.caller.userId, { type: 'git_token', provider });
  const chosen = tokens.find((t) => t.name === 'default') ?? tokens[0];
  const save = async (
    status: RegisterResult['status'],
    detail: string,
    remoteId?: string,
    signingRemoteId?: string,
  ) => {
    await upsertRegistration(s.db, ctx.caller.userId, {
      credential_id: key.id,
      provider,
      status,
      detail,
      remote_id: remoteId ?? null,
      checked_at: Date.now(),
      usage,
      signing_remote_id: signingRemoteId ?? null,
    });
    await audit(ctx, {
      action: 'register',
      outcome: status === 'error' ? 'failure' : 'success',
      credentialId: key.id,
      credentialType: 'ssh_key',
      provider,
      name: key.name,
      detail: `${PROVIDER_LABEL[provider]} (${usage}): ${status}`,
    });
    return { provider, status, detail };
  };
  if (!chosen) {
    return save(
      'error',
      `Save a ${PROVIDER_LABEL[provider]} token first; it is used to add the key.`,
    );
  }
  const row = await findCredentialForUser(s.db, ctx.caller.userId, chosen.id);
  if (!row) throw new AppError('NOT_FOUND', 'no such token');
  const token = await revealSecret(s.db, keyring, row, {
    ...auditFields(ctx.caller),
    action: 'register',
    detail: `to register SSH key ${key.name}`,
  });
  const result = await registerWithProvider(
    { provider, token, url: row.url, source: row.source },
    { title: `XaresAICoder ${ctx.caller.username} ${key.name}`, publicKey: key.public_key ?? '' },
    config.providers,
    {},
    usage,
  );
  return save(result.status, result.detail, result.remoteId, result.signingRemoteId);
}
