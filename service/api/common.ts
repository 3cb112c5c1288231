// The building blocks of the API contract: field rules whose messages name the field, names and
// ids, the provider and token-type enums, and the small shapes every domain shares.
import { z } from 'zod';
import { AI_PROVIDERS, GIT_PROVIDERS } from '../vocabulary';

/** C0 control characters and DEL: CR, LF and NUL would let a value break out of headers, files or logs. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The message for a missing or mistyped field: "token is required" / "token must be text". */
export function typeError(field: string, kind = 'text') {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `${field} is required` : `${field} must be ${kind}`;
}

/** A string without control characters, with a limit and messages that name the field. */
export function plainText(field: string, max: number) {
  return z
    .string({ error: typeError(field) })
    .max(max, `${field} must be at most ${max} characters`)
    .refine((v) => !CONTROL_CHARACTERS.test(v), `${field} must not contain control characters`);
}

export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

export const NameSchema = z
  .string({ error: typeError('name') })
  .min(1, 'name must not be empty')
  .max(100, 'name must be at most 100 characters')
  .regex(NAME_PATTERN, "name may contain only letters, digits, '.', '_' and '-'");

export const IdSchema = z
  .string({ error: typeError('id') })
  .min(1, 'id must not be empty')
  .max(36, 'id must be at most 36 characters')
  .regex(/^[A-Za-z0-9-]+$/, 'id is not a valid id');

export const IsoDateSchema = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time such as 2026-12-31T00:00:00Z',
});

export const GitProviderSchema = z.enum(GIT_PROVIDERS, {
  error: 'provider must be one of github, gitlab, forgejo',
});
export const AiProviderSchema = z.enum(AI_PROVIDERS, {
  error: 'provider must be one of openai, anthropic, google, custom',
});
export const TokenProviderSchema = z.enum([...GIT_PROVIDERS, ...AI_PROVIDERS], {
  error: 'provider must be one of github, gitlab, forgejo, openai, anthropic, google, custom',
});
export const TokenTypeSchema = z.enum(['git_token', 'ai_token'], {
  error: "type must be 'git_token' or 'ai_token'",
});

export type TokenProvider = z.infer<typeof TokenProviderSchema>;
export type TokenType = z.infer<typeof TokenTypeSchema>;

export function tokenTypeOf(provider: TokenProvider): TokenType {
  return (GIT_PROVIDERS as readonly string[]).includes(provider) ? 'git_token' : 'ai_token';
}

/** A procedure that takes nothing: no body, or an empty object. */
export const EmptyInput = z.object({}).optional();
export const ByIdInput = z.object({ id: IdSchema });
export const OkSchema = z.object({ ok: z.literal(true) });
