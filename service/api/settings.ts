// The contract of settings.*: the user's security settings.
import { z } from 'zod';

export const SettingsSchema = z.object({
  autoInject: z.boolean(),
  auditLogging: z.boolean(),
  clearOnSessionTimeout: z.boolean(),
  aiKeyDelivery: z.enum(['gateway', 'environment']),
  commitSigning: z.boolean(),
});

export const SettingsUpdateInput = z.object({
  autoInject: z.boolean({ error: 'autoInject must be true or false' }).optional(),
  auditLogging: z.boolean({ error: 'auditLogging must be true or false' }).optional(),
  clearOnSessionTimeout: z
    .boolean({ error: 'clearOnSessionTimeout must be true or false' })
    .optional(),
  aiKeyDelivery: z
    .enum(['gateway', 'environment'], { error: "aiKeyDelivery must be 'gateway' or 'environment'" })
    .optional(),
  commitSigning: z.boolean({ error: 'commitSigning must be true or false' }).optional(),
});

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsUpdateInputT = z.infer<typeof SettingsUpdateInput>;
