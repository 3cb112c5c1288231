// The contract of gitCredential.get and POST /api/git-credential: what the in-workspace git
// credential helper asks for (git's protocol, host and path) and the answer it gets.
import { z } from 'zod';
import { plainText } from './common';

export const GitCredentialInput = z.object({
  protocol: plainText('protocol', 20).refine((v) => v.length > 0, 'protocol must not be empty'),
  host: plainText('host', 300).refine((v) => v.length > 0, 'host must not be empty'),
  path: plainText('path', 2048).optional(),
});

export const GitCredentialSchema = z.object({
  username: z.string(),
  password: z.string(),
  /** When the token stops working, in seconds since 1970 (git's `password_expiry_utc`). */
  passwordExpiryUtc: z.number().int().optional(),
});

export type GitCredentialInputT = z.infer<typeof GitCredentialInput>;
export type GitCredential = z.infer<typeof GitCredentialSchema>;
