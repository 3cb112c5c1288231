// Shapes shared by the provider clients: what a token test and a key registration answer.
import type { AiProvider, GitProvider } from '../vocabulary';

export type { AiProvider, GitProvider };
/** What an SSH key is registered for at a git provider. */
export type KeyUsage = 'authentication' | 'signing' | 'both';

export interface CredentialToTest {
  type: 'git_token' | 'ai_token';
  provider: string;
  token: string;
  url?: string | null;
  envVar?: string | null;
  /** OAuth tokens go as `Authorization: Bearer` (GitLab refuses them as PRIVATE-TOKEN). */
  source?: 'pasted' | 'oauth';
}

export interface TestResult {
  status: 'valid' | 'invalid' | 'unreachable';
  /** One or two sentences for the user; never the token. */
  detail: string;
  /** The account name the provider reported (git providers). */
  account?: string;
  scopes?: string[];
  /** Epoch ms when the provider said the token expires, null when it said it does not. */
  expiresAt?: number | null;
}

export interface RegisterResult {
  status: 'registered' | 'already_registered' | 'error';
  detail: string;
  /** The provider's id of the key, when known. */
  remoteId?: string;
  /** GitHub: the id of the key among the signing keys, when registered for signing. */
  signingRemoteId?: string;
}

export interface ClientOptions {
  timeoutMs?: number;
}
