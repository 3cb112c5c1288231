// The service's tRPC router: one router per domain, merged here. The extension's client is typed
// by `AppRouter` (import type only).
import { router } from '../trpc';
import { aiRouter } from './ai';
import { auditRouter } from './audit';
import { authRouter } from './auth';
import { gitCredentialRouter } from './gitCredential';
import { settingsRouter } from './settings';
import { sshKeysRouter } from './sshKeys';
import { tokensRouter } from './tokens';
import { credentialsRouter, workspacesRouter } from './workspaces';

export const appRouter = router({
  auth: authRouter,
  sshKeys: sshKeysRouter,
  tokens: tokensRouter,
  settings: settingsRouter,
  audit: auditRouter,
  workspaces: workspacesRouter,
  credentials: credentialsRouter,
  gitCredential: gitCredentialRouter,
  ai: aiRouter,
});

export type AppRouter = typeof appRouter;
