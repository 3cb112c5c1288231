// The webview's requests and the host work each one does; params are validated with zod here,
// at the boundary between the (untrusted) webview and the host.
import { z } from 'zod';
import {
  ClearAll,
  CopyPublicKey,
  DeleteToken,
  ExportAudit,
  ExportPublicKey,
  GenerateSshKey,
  GetState,
  InjectWorkspace,
  ListAudit,
  RegisterSshKey,
  SaveToken,
  SignIn,
  SignOut,
  TestToken,
  UpdateSettings,
} from '../protocol/messages';
import type { SaveTokenParams } from '../protocol/messages';
import { AUDIT_ACTIONS } from '../protocol/model';
import type { CredentialActions } from './actions';
import type { CredentialsBackend } from './backend';
import { MessageRouter } from './messageRouter';

const none = z
  .undefined()
  .or(z.null())
  .transform(() => undefined);
const id = z.object({ id: z.string().min(1).max(100) });
// No control characters anywhere (contract section 5); the service checks again.
const clean = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\0\r\n]/.test(s), 'must not contain control characters');

const saveToken: z.ZodType<SaveTokenParams> = z
  .object({
    type: z.enum(['git_token', 'ai_token']),
    provider: z.enum(['github', 'gitlab', 'forgejo', 'openai', 'anthropic', 'google', 'custom']),
    token: clean(4096).refine((s) => s.trim().length > 0, 'enter the token'),
    url: clean(2048).optional(),
    username: clean(100).optional(),
    envVar: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'use letters, digits and _')
      .optional(),
  })
  .refine(
    (p) => (p.type === 'git_token') === ['github', 'gitlab', 'forgejo'].includes(p.provider),
    'provider does not match the token type',
  )
  .refine((p) => p.provider !== 'forgejo' || !!p.url, 'a Forgejo token needs its server URL')
  .refine((p) => p.provider !== 'custom' || !!p.envVar, 'a custom key needs a variable name');

export interface ViewRequestDeps {
  backend: CredentialsBackend;
  actions: CredentialActions;
  signIn: () => Promise<unknown>;
  signOut: () => Promise<unknown>;
}

export function createViewRouter({ backend, actions, signIn, signOut }: ViewRequestDeps) {
  return new MessageRouter()
    .onRequest(GetState, none, () => backend.loadState())
    .onRequest(SignIn, none, async () => void (await signIn()))
    .onRequest(SignOut, none, async () => void (await signOut()))
    .onRequest(GenerateSshKey, none, () => actions.generateSshKey())
    .onRequest(CopyPublicKey, none, () => actions.copyPublicKey())
    .onRequest(ExportPublicKey, none, () => actions.exportPublicKey())
    .onRequest(
      RegisterSshKey,
      z.object({ provider: z.enum(['github', 'gitlab', 'forgejo']) }),
      ({ provider }) => actions.registerSshKey(provider),
    )
    .onRequest(SaveToken, saveToken, (p) => backend.saveToken(p))
    .onRequest(TestToken, id, async ({ id: tokenId }) => {
      const token = (await backend.listTokens()).find((t) => t.id === tokenId);
      if (!token) throw new Error('That token no longer exists. Refresh the view.');
      return actions.testToken(token);
    })
    .onRequest(DeleteToken, id, ({ id: tokenId }) => backend.deleteToken(tokenId))
    .onRequest(
      UpdateSettings,
      z
        .object({
          autoInject: z.boolean(),
          auditLogging: z.boolean(),
          clearOnSessionTimeout: z.boolean(),
        })
        .partial()
        .strict(),
      (patch) => backend.updateSettings(patch),
    )
    .onRequest(ClearAll, none, () => actions.clearAll())
    .onRequest(ListAudit, z.object({ action: z.enum(AUDIT_ACTIONS).optional() }), ({ action }) =>
      backend.listAudit(action),
    )
    .onRequest(ExportAudit, z.object({ format: z.enum(['json', 'csv']) }), ({ format }) =>
      actions.exportAudit(format),
    )
    .onRequest(InjectWorkspace, none, () => actions.inject());
}
