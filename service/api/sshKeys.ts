// The contract of sshKeys.* and of the REST mirror's /ssh-keys bodies: key metadata (never the
// private key), generation, import, and registration with a git provider.
import { z } from 'zod';
import { GitProviderSchema, IdSchema, NameSchema, plainText, typeError } from './common';

export const KeyUsageSchema = z.enum(['authentication', 'signing', 'both'], {
  error: "usage must be 'authentication', 'signing' or 'both'",
});

export const RegistrationSchema = z.object({
  provider: GitProviderSchema,
  status: z.enum(['registered', 'already_registered', 'error', 'pending']),
  detail: z.string().nullable(),
  checkedAt: z.string(),
  /** What the key was registered for (authentication when registered before usages existed). */
  usage: KeyUsageSchema,
});

export const SshKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  keyType: z.string(),
  publicKey: z.string(),
  fingerprint: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  registrations: z.array(RegistrationSchema),
});
export const SshKeyListSchema = z.array(SshKeySchema);

export const RegisterResultSchema = z.object({
  provider: GitProviderSchema,
  status: z.enum(['registered', 'already_registered', 'error']),
  detail: z.string(),
});

export const GenerateSshKeyInput = z
  .object({
    name: NameSchema.optional(),
    comment: plainText('comment', 200).optional(),
    replace: z.boolean({ error: 'replace must be true or false' }).optional(),
  })
  .optional();
export const ImportSshKeyInput = z.object({
  name: NameSchema.optional(),
  privateKey: z
    .string({ error: typeError('privateKey') })
    .min(1, 'privateKey must not be empty')
    .max(16384, 'privateKey must be at most 16384 characters'),
  passphrase: z
    .string({ error: typeError('passphrase') })
    .max(1024, 'passphrase must be at most 1024 characters')
    .optional(),
});
export const SshKeyByNameInput = z.object({ name: NameSchema });
export const RegisterSshKeyInput = z.object({
  id: IdSchema,
  provider: GitProviderSchema,
  usage: KeyUsageSchema.optional(),
});

// The REST mirror's bodies (the original design's shapes).

export const RestCreateSshKeyInput = z
  .object({
    name: NameSchema.optional(),
    comment: plainText('comment', 200).optional(),
    replace: z.boolean({ error: 'replace must be true or false' }).optional(),
    type: z.literal('ed25519', { error: 'only ed25519 keys are generated' }).optional(),
    privateKey: ImportSshKeyInput.shape.privateKey.optional(),
    passphrase: ImportSshKeyInput.shape.passphrase,
  })
  .optional();

export const RestReplaceSshKeyInput = z.object({
  id: IdSchema,
  comment: plainText('comment', 200).optional(),
  privateKey: ImportSshKeyInput.shape.privateKey.optional(),
  passphrase: ImportSshKeyInput.shape.passphrase,
});

export const RestListSshKeysInput = z.object({}).optional();
export const RestSshKeyListSchema = z.object({ keys: SshKeyListSchema });

export type SshKey = z.infer<typeof SshKeySchema>;
export type SshKeyRegistration = z.infer<typeof RegistrationSchema>;
export type RegisterResult = z.infer<typeof RegisterResultSchema>;
export type GenerateSshKeyInputT = NonNullable<z.infer<typeof GenerateSshKeyInput>>;
export type ImportSshKeyInputT = z.infer<typeof ImportSshKeyInput>;
export type RestCreateSshKeyInputT = NonNullable<z.infer<typeof RestCreateSshKeyInput>>;
export type RestReplaceSshKeyInputT = z.infer<typeof RestReplaceSshKeyInput>;
export type RestSshKeyList = z.infer<typeof RestSshKeyListSchema>;
