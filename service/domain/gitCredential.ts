// git credential helper answers: a git host to the caller's matching token (CONTRACT.md section 6).
import { AppError } from '../errors';
import type { GitCredential, GitCredentialInputT } from '../routers/schemas';
import type { DomainContext } from './deps';

export async function getGitCredential(
  _ctx: DomainContext,
  _input: GitCredentialInputT,
): Promise<GitCredential> {
  throw new AppError('SERVICE_UNAVAILABLE', 'git credentials are not available yet');
}
