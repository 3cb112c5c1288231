// The zod schemas of the git-account surface (CONTRACT.md section 4): a token's repository path
// prefix and the OAuth device sign-in procedures. Kept apart from schemas.ts, which it extends.
import { z } from 'zod';

/**
 * `acme` or `acme/tools`: owner (and sub-group) segments of a repository path on the token's
 * host. No `.`/`..` segments, no empty ones, nothing a URL would escape.
 */
export const PathPrefixSchema = z
  .string({ error: 'pathPrefix must be text' })
  .min(1, 'pathPrefix must not be empty (leave it out for every repository)')
  .max(200, 'pathPrefix must be at most 200 characters')
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    "pathPrefix is a repository path such as 'acme' or 'acme/tools' (letters, digits, '.', '_', '-', '/')",
  )
  .refine(
    (v) => !v.split('/').some((s) => s === '.' || s === '..'),
    'pathPrefix must not contain . or .. segments',
  );

export const CredentialSourceSchema = z.enum(['pasted', 'oauth']);

export const KeyUsageSchema = z.enum(['authentication', 'signing', 'both'], {
  error: "usage must be 'authentication', 'signing' or 'both'",
});
