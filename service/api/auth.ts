// The contract of auth.*: sign in, sign out, and who am I.
import { z } from 'zod';
import { ROLES } from '../vocabulary';
import { EmptyInput, plainText, typeError } from './common';

export const RoleSchema = z.enum(ROLES);
export const UserSchema = z.object({ id: z.string(), username: z.string(), role: RoleSchema });

export const LoginInput = z.object({
  username: plainText('username', 100).refine((v) => v.length > 0, 'username must not be empty'),
  password: z
    .string({ error: typeError('password') })
    .min(1, 'password must not be empty')
    .max(1024, 'password must be at most 1024 characters'),
});
export const LogoutInput = EmptyInput;

export const LoginResultSchema = z.object({
  token: z.string(),
  expiresAt: z.string(),
  user: UserSchema,
});

export const MeSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: RoleSchema,
  sessionKind: z.enum(['user', 'workspace']),
  workspaceId: z.string().nullable(),
});

export type User = z.infer<typeof UserSchema>;
export type LoginResult = z.infer<typeof LoginResultSchema>;
export type Me = z.infer<typeof MeSchema>;
