// The webview's requests and the host work each one does; params are validated with zod here,
// at the boundary between the (untrusted) webview and the host.
import { z } from 'zod';
import {
  ClearAll,
  ConnectProvider,
  CopyPublicKey,
  DeleteToken,
  ExportAudit,
  ExportPublicKey,
  GenerateSshKey,
  GetAiUsage,
  GetState,
  InjectWorkspace,
  ListAudit,
  RegisterSshKey,
  RenameToken,
  SaveToken,
  SignIn,
  SignOut,
  TestToken,
  UpdateSettings,
} from '../protocol/messages';
import type { SaveTokenParams } from '../protocol/messages';
import { AUDIT_ACTIONS, KEY_USAGES } from '../protocol/model';
import type { SettingsPatch } from '../protocol/model';
import type { CredentialActions } from './actions';
import type { CredentialsBackend } from './backend';
import { MessageRouter } from './messageRouter';
import { envVarRefusal } from '../service/envNames';

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

// The service's own rules (contract section 4): a name of 1–100 of [A-Za-z0-9._-]; a path prefix
// of repository path segments, no `.`/`..`. Checked here too so the webview gets the sentence.
const tokenName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'use 1 to 100 letters, digits, ".", "_" or "-"');
const pathPrefix = z
  .string()
  .max(200)
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    "a repository path such as 'acme' or 'acme/tools'",
  )
  .refine((v) => !v.split('/').some((s) => s === '.' || s === '..'), 'no . or .. segments');

const saveToken: z.ZodType<SaveTokenParams> = z
  .object({
    type: z.enum(['git_token', 'ai_token']),
    provider: z.enum(['github', 'gitlab', 'forgejo', 'openai', 'anthropic', 'google', 'custom']),
    token: clean(4096).refine((s) => s.trim().length > 0, 'enter the token'),
    url: clean(2048).optional(),
    username: clean(100).optional(),
    envVar: z
      .string()
      .superRefine((v, ctx) => {
        // The service's own rule (service/envNames.ts): refused here before any call.
        const refusal = envVarRefusal(v);
        if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
      })
      .optional(),
    name: tokenName.optional(),
    pathPrefix: pathPrefix.optional(),
  })
  .refine(
    (p) => (p.type === 'git_token') === ['github', 'gitlab', 'forgejo'].includes(p.provider),
    'provider does not match the token type',
  )
  .refine((p) => p.provider !== 'forgejo' || !!p.url, 'a Forgejo token needs its server URL')
  .refine((p) => p.provider !== 'custom' || !!p.envVar, 'a custom key needs a variable name')
  .refine((p) => p.type === 'git_token' || p.pathPrefix === undefined, {
    message: 'a path prefix is only for git tokens',
    path: ['pathPrefix'],
  });

const settingsPatch: z.ZodType<SettingsPatch> = z
  .object({
    autoInject: z.boolean(),
    auditLogging: z.boolean(),
    clearOnSessionTimeout: z.boolean(),
    aiKeyDelivery: z.enum(['gateway', 'environment']),
    commitSigning: z.boolean(),
  })
  .partial()
  .strict();

export interface ViewRequestDeps {
  backend: CredentialsBackend;
  actions: CredentialActions;
  signIn: () => Promise<unknown>;
  signOut: () => Promise<unknown>;
  /** Runs the `xaresCredentials.connectProvider` command for one provider. */
  connect: (provider: 'github' | 'gitlab') => Promise<unknown>;
}

export function createViewRouter({ backend, actions, signIn, signOut, connect }: ViewRequestDeps) {
  return new MessageRouter()
    .onRequest(GetState, none, () => backend.loadState())
    .onRequest(SignIn, none, async () => void (await signIn()))
    .onRequest(SignOut, none, async () => void (await signOut()))
    .onRequest(GenerateSshKey, none, () => actions.generateSshKey())
    .onRequest(CopyPublicKey, none, () => actions.copyPublicKey())
    .onRequest(ExportPublicKey, none, () => actions.exportPublicKey())
    .onRequest(
      RegisterSshKey,
      z.object({
        provider: z.enum(['github', 'gitlab', 'forgejo']),
        usage: z.enum(KEY_USAGES).optional(),
      }),
      ({ provider, usage }) => actions.registerSshKey(provider, usage),
    )
    .onRequest(SaveToken, saveToken, (p) => backend.saveToken(p))
    .onRequest(TestToken, id, async ({ id: tokenId }) => {
      const token = (await backend.listTokens()).find((t) => t.id === tokenId);
      if (!token) throw new Error('That token no longer exists. Refresh the view.');
      return actions.testToken(token);
    })
    .onRequest(RenameToken, z.object({ id: id.shape.id, name: tokenName }), (p) =>
      backend.renameToken(p.id, p.name),
    )
    .onRequest(ConnectProvider, z.object({ provider: z.enum(['github', 'gitlab']) }), (p) =>
      connect(p.provider).then(() => undefined),
    )
    .onRequest(GetAiUsage, none, () => backend.aiUsage())
    .onRequest(DeleteToken, id, async ({ id: tokenId }) => {
      const token = (await backend.listTokens()).find((t) => t.id === tokenId);
      if (!token) throw new Error('That token no longer exists. Refresh the view.');
      return actions.deleteToken(token);
    })
    .onRequest(UpdateSettings, settingsPatch, (patch) => backend.updateSettings(patch))
    .onRequest(ClearAll, none, () => actions.clearAll())
    .onRequest(ListAudit, z.object({ action: z.enum(AUDIT_ACTIONS).optional() }), ({ action }) =>
      backend.listAudit(action),
    )
    .onRequest(ExportAudit, z.object({ format: z.enum(['json', 'csv']) }), ({ format }) =>
      actions.exportAudit(format),
    )
    .onRequest(InjectWorkspace, none, () => actions.inject());
}
