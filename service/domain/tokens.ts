// Git tokens and AI keys: create, list, update, delete and test against the provider. Answers
// carry a hint ('…' + last 4), never the token; a test reveals it only through revealSecret, so
// the audit row is written before the provider sees it.
import { AppError } from '../errors';
import { testCredential } from '../providers';
import { type TokenProvider, type TokenType, tokenTypeOf } from '../api/common';
import type {
  CreateTokenInputT,
  TokenInfo,
  TokenTestResult,
  UpdateTokenInputT,
} from '../api/tokens';
import {
  type CredentialInfo,
  createCredential,
  deleteCredential,
  findCredentialByName,
  findCredentialForUser,
  findCredentialInfo,
  listCredentials,
  recordTestResult,
  updateCredential,
} from '../store/credentials';
import { revealSecret } from '../crypto/secrets';
import type { CredentialRow } from '../store/schema';
import {
  audit,
  auditChange,
  auditFields,
  deniedNotFound,
  epochOrNull,
  iso,
  isoOrNull,
} from './common';
import type { DomainContext } from './deps';
import { inTransaction } from '../store/retry';

const isToken = (c: { type: string }): c is { type: TokenType } =>
  c.type === 'git_token' || c.type === 'ai_token';

export function toTokenInfo(c: CredentialInfo): TokenInfo {
  if (!isToken(c) || c.provider === 'ssh') throw new Error('not a token');
  return {
    id: c.id,
    type: c.type,
    provider: c.provider,
    name: c.name,
    username: c.username,
    url: c.url,
    envVar: c.env_var,
    pathPrefix: c.path_prefix ?? null,
    source: c.source ?? 'pasted',
    hint: c.hint,
    expiresAt: isoOrNull(c.expires_at),
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
    lastUsedAt: isoOrNull(c.last_used_at),
    lastTest:
      c.last_test_status && c.last_test_at !== null
        ? {
            status: c.last_test_status,
            detail: c.last_test_detail ?? '',
            checkedAt: iso(c.last_test_at),
          }
        : null,
  };
}

/** The caller's token `id`, or NOT_FOUND (audited as denied) for anything else. */
async function ownToken(ctx: DomainContext, id: string, action: 'update' | 'delete' | 'test') {
  const info = await findCredentialInfo(ctx.deps.store.db, ctx.caller.userId, id);
  if (!info || !isToken(info)) return deniedNotFound(ctx, action, { id, label: 'token' });
  return info;
}

export async function createToken(
  ctx: DomainContext,
  input: CreateTokenInputT,
): Promise<TokenInfo> {
  const { store, keyring } = ctx.deps;
  const name = input.name ?? 'default';
  const created = await inTransaction(store.db, async (trx) => {
    const info = await createCredential(trx, keyring, {
      userId: ctx.caller.userId,
      type: input.type,
      provider: input.provider,
      name,
      secret: input.token,
      username: input.username ?? null,
      url: input.url ?? null,
      envVar: input.envVar ?? null,
      expiresAt: epochOrNull(input.expiresAt),
      pathPrefix: input.pathPrefix ?? null,
    });
    await auditChange(trx, ctx, info, 'create');
    return info;
  });
  return toTokenInfo(created);
}

export async function listTokens(ctx: DomainContext, type?: TokenType): Promise<TokenInfo[]> {
  const rows = await listCredentials(ctx.deps.store.db, ctx.caller.userId, type ? { type } : {});
  return rows.filter(isToken).map(toTokenInfo);
}

export async function updateToken(
  ctx: DomainContext,
  input: UpdateTokenInputT,
): Promise<TokenInfo> {
  const current = await ownToken(ctx, input.id, 'update');
  if (input.envVar !== undefined && current.provider !== 'custom') {
    throw new AppError('BAD_REQUEST', 'envVar is only for custom AI keys');
  }
  if (input.pathPrefix !== undefined && current.type !== 'git_token') {
    throw new AppError('BAD_REQUEST', 'pathPrefix is only for git tokens');
  }
  if (input.url !== undefined && (input.url ?? null) !== current.url && input.token === undefined) {
    // The next test (or git) would send the stored token to the new host: whoever moves a
    // token to another server must know the token.
    throw new AppError(
      'BAD_REQUEST',
      'changing the url of a token needs the token again: send token together with url',
    );
  }
  const { store, keyring } = ctx.deps;
  const updated = await inTransaction(store.db, async (trx) => {
    const info = await updateCredential(trx, keyring, ctx.caller.userId, input.id, {
      secret: input.token,
      name: input.name,
      username: input.username,
      url: input.url,
      envVar: input.envVar,
      expiresAt: epochOrNull(input.expiresAt),
      pathPrefix: input.pathPrefix,
    });
    await auditChange(trx, ctx, info, 'update');
    return info;
  });
  return toTokenInfo(updated);
}

export async function deleteToken(ctx: DomainContext, id: string): Promise<{ ok: true }> {
  const current = await ownToken(ctx, id, 'delete');
  await inTransaction(ctx.deps.store.db, async (trx) => {
    if (!(await deleteCredential(trx, ctx.caller.userId, id))) {
      throw new AppError('NOT_FOUND', 'no such token');
    }
    await auditChange(trx, ctx, current, 'delete');
  });
  return { ok: true };
}

async function runTest(ctx: DomainContext, row: CredentialRow): Promise<TokenTestResult> {
  const { store, keyring, config } = ctx.deps;
  if (!isToken(row)) throw new AppError('NOT_FOUND', 'no such token');
  const token = await revealSecret(store.db, keyring, row, {
    ...auditFields(ctx.caller),
    action: 'test',
  });
  const result = await testCredential(
    {
      type: row.type,
      provider: row.provider,
      token,
      url: row.url,
      envVar: row.env_var,
      source: row.source,
    },
    config.providers,
  );
  await recordTestResult(store.db, ctx.caller.userId, row.id, {
    status: result.status,
    detail: result.detail,
    ...(result.expiresAt !== undefined && { expiresAt: result.expiresAt }),
  });
  await audit(ctx, {
    action: 'test',
    outcome: result.status === 'valid' ? 'success' : 'failure',
    credentialId: row.id,
    credentialType: row.type,
    provider: row.provider,
    name: row.name,
    detail: `provider answered: ${result.status}`,
  });
  return {
    success: result.status === 'valid',
    status: result.status,
    detail: result.detail,
    ...(result.account !== undefined && { account: result.account }),
    ...(result.scopes !== undefined && { scopes: result.scopes }),
    ...(result.expiresAt !== undefined && { expiresAt: isoOrNull(result.expiresAt) }),
  };
}

export async function testToken(ctx: DomainContext, id: string): Promise<TokenTestResult> {
  await ownToken(ctx, id, 'test');
  const row = await findCredentialForUser(ctx.deps.store.db, ctx.caller.userId, id);
  if (!row) throw new AppError('NOT_FOUND', 'no such token');
  return runTest(ctx, row);
}

/** The REST mirror's POST /test/:provider: tests the caller's token of that provider (default name). */
export async function testProviderToken(
  ctx: DomainContext,
  provider: TokenProvider,
  name = 'default',
): Promise<TokenTestResult> {
  const row = await findCredentialByName(ctx.deps.store.db, ctx.caller.userId, {
    type: tokenTypeOf(provider),
    provider,
    name,
  });
  if (!row) throw new AppError('NOT_FOUND', `no ${provider} token named '${name}' is saved`);
  return runTest(ctx, row);
}
