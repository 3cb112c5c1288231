// The REST mirror's own operations (CONTRACT.md section 4): the original design's body and answer
// shapes where they differ from the tRPC ones, each a thin adapter over the same domain function,
// so the router only assembles procedures.
import { tokenTypeOf } from '../api/common';
import type {
  RestCreateSshKeyInputT,
  RestReplaceSshKeyInputT,
  RestSshKeyList,
  SshKey,
} from '../api/sshKeys';
import type {
  ListTokensInputT,
  RestCreateTokenInputT,
  RestTestProviderInputT,
  RestTestResult,
  RestTokenList,
  TokenInfo,
} from '../api/tokens';
import type { DomainContext } from './deps';
import { generateSshKey, importSshKey, listSshKeys, replaceSshKey } from './sshKeys';
import { createToken, listTokens, testProviderToken } from './tokens';

/** POST /ssh-keys: imports the key when privateKey is given, else generates one. */
export function createSshKey(ctx: DomainContext, body: RestCreateSshKeyInputT): Promise<SshKey> {
  if (body.privateKey !== undefined) {
    return importSshKey(ctx, {
      name: body.name,
      privateKey: body.privateKey,
      passphrase: body.passphrase,
    });
  }
  return generateSshKey(ctx, { name: body.name, comment: body.comment, replace: body.replace });
}

/** GET /ssh-keys: the keys in an object. */
export async function listSshKeysObject(ctx: DomainContext): Promise<RestSshKeyList> {
  return { keys: await listSshKeys(ctx) };
}

/** PUT /ssh-keys/{id}: new key material under the same name. */
export function replaceSshKeyById(
  ctx: DomainContext,
  input: RestReplaceSshKeyInputT,
): Promise<SshKey> {
  const { id, ...rest } = input;
  return replaceSshKey(ctx, id, rest);
}

/** POST /tokens: the type follows from the provider, whatever the body said. */
export function createTokenOfProvider(
  ctx: DomainContext,
  input: RestCreateTokenInputT,
): Promise<TokenInfo> {
  const { type: _given, ...rest } = input;
  return createToken(ctx, { ...rest, type: tokenTypeOf(input.provider) });
}

/** GET /tokens: the tokens in an object. */
export async function listTokensObject(
  ctx: DomainContext,
  input: ListTokensInputT,
): Promise<RestTokenList> {
  return { tokens: await listTokens(ctx, input?.type) };
}

/** POST /test/{provider}: a failed test also carries its detail as `error`. */
export async function testProvider(
  ctx: DomainContext,
  input: RestTestProviderInputT,
): Promise<RestTestResult> {
  const result = await testProviderToken(ctx, input.provider, input.name);
  return result.success ? result : { ...result, error: result.detail };
}
