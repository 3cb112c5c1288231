// git credential helper answers (CONTRACT.md section 6): a git host to the caller's matching
// token. The token is revealed only through revealSecret, so a failed audit write fails the call.
import { AppError } from '../errors';
import { defaultGitUsername, gitProtocolAllowed, matchGitCredential } from '../providers';
import type { GitCredential, GitCredentialInputT } from '../routers/schemas';
import { findCredentialForUser, listCredentials, revealSecret } from '../store';
import { audit, auditFields } from './common';
import type { DomainContext } from './deps';

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
  const match = matchGitCredential(input.host, tokens, config.providers, protocol);
  if (!match) throw new AppError('NOT_FOUND', `no saved token matches ${input.host}`);
  const row = await findCredentialForUser(store.db, ctx.caller.userId, match.id);
  if (!row) throw new AppError('NOT_FOUND', `no saved token matches ${input.host}`);
  const password = await revealSecret(store.db, keyring, row, {
    ...auditFields(ctx.caller),
    action: 'read',
    detail: `git credential for ${input.host.slice(0, 200)}`,
  });
  return { username: defaultGitUsername(row.provider, row.username), password };
}
