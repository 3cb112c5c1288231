// git credential helper answers (CONTRACT.md section 6): a git host to the caller's matching
// token. The token is revealed only through revealSecret, so a failed audit write fails the call.
// Who may ask is checked by the caller of getGitCredential; which token answers is
// chooseGitToken's business alone.
import type { ProviderUrls } from '../config';
import { AppError } from '../errors';
import { defaultGitUsername, gitProtocolAllowed, matchGitCredential } from '../providers';
import type { GitCredential, GitCredentialInputT } from '../api/gitCredential';
import { type CredentialInfo, findCredentialForUser, listCredentials } from '../store/credentials';
import { revealSecret } from '../crypto/secrets';
import { refreshIfDue } from './oauthRefresh';
import { audit, auditFields } from './common';
import type { DomainContext } from './deps';

/**
 * The git token that answers `input` among the user's tokens, or undefined. Refuses plain http
 * off loopback (a token sent that way could be read on the way).
 */
export function chooseGitToken(
  tokens: readonly CredentialInfo[],
  input: GitCredentialInputT,
  urls: Pick<ProviderUrls, 'githubApiUrl' | 'gitlabUrl'>,
): CredentialInfo | undefined {
  const protocol = input.protocol.toLowerCase();
  if (!gitProtocolAllowed(protocol, input.host)) return undefined;
  return matchGitCredential(input.host, tokens, urls, protocol, input.path);
}

export async function getGitCredential(
  ctx: DomainContext,
  input: GitCredentialInputT,
): Promise<GitCredential> {
  if (ctx.caller.sessionKind !== 'workspace') {
    // A plaintext token is for git inside a workspace; a user session (a stolen browser or
    // extension token) never reads one this way.
    await audit(ctx, {
      action: 'read',
      outcome: 'denied',
      credentialType: 'git_token',
      detail: 'git credentials are only for workspace sessions',
    });
    throw new AppError('FORBIDDEN', 'git credentials are given only to a workspace session');
  }
  const protocol = input.protocol.toLowerCase();
  // A token sent over plain http could be read on the way; only loopback forges are exempt.
  if (!gitProtocolAllowed(protocol, input.host)) {
    throw new AppError('NOT_FOUND', `no token is given for ${protocol}://; use https`);
  }
  const { store, keyring, config } = ctx.deps;
  const tokens = await listCredentials(store.db, ctx.caller.userId, { type: 'git_token' });
  const match = chooseGitToken(tokens, input, config.providers);
  if (!match) throw new AppError('NOT_FOUND', `no saved token matches ${input.host}`);
  const found = await findCredentialForUser(store.db, ctx.caller.userId, match.id);
  if (!found) throw new AppError('NOT_FOUND', `no saved token matches ${input.host}`);
  // An OAuth token about to expire is renewed first, so git never gets a stale one.
  const row = await refreshIfDue(ctx, found);
  const password = await revealSecret(store.db, keyring, row, {
    ...auditFields(ctx.caller),
    action: 'read',
    detail: `git credential for ${input.host.slice(0, 200)}`,
  });
  return {
    username: defaultGitUsername(row.provider, row.username),
    password,
    // git (2.41+) and caches in front of the helper drop the token at this time.
    ...(row.expires_at !== null && { passwordExpiryUtc: Math.floor(row.expires_at / 1000) }),
  };
}
