// What the gateway tests share: the service on SQLite with the provider fakes, a user with keys of
// every provider, and gateway tokens minted the way an injection mints them.
import { randomUUID } from 'node:crypto';
import { createSession } from '../../../service/accounts/sessions';
import { type FakeProviders, startFakeProviders } from '../../support/fakeProviders';
import { startTestService, type TestService } from '../../support/service';

export interface GatewayHarness {
  svc: TestService;
  fake: FakeProviders;
  /** The user's real keys (what the fakes accept). */
  keys: { openai: string; anthropic: string; google: string; custom: string };
  userId: string;
  userToken: string;
  /** A gateway token bound to a workspace id of its own. */
  mint(workspaceId?: string, userId?: string): Promise<{ token: string; workspaceId: string }>;
  close(): Promise<void>;
}

export async function startGatewayHarness(
  env: Record<string, string> = {},
): Promise<GatewayHarness> {
  const fake = await startFakeProviders();
  const svc = await startTestService({ dialect: 'sqlite', env: { ...fake.env, ...env } });
  const suffix = randomUUID().replace(/-/g, '');
  const keys = {
    openai: `sk-real-openai-${suffix}`,
    anthropic: `sk-ant-real-${suffix}`,
    google: `AIza-real-google-${suffix}`,
    custom: `sk-real-custom-${suffix}`,
  };
  fake.openai.addToken(keys.openai);
  fake.openai.addToken(keys.custom);
  fake.anthropic.addToken(keys.anthropic);
  fake.google.addToken(keys.google);
  const { id: userId } = await svc.createUser('gw', 'gw-password-1');
  const userToken = await svc.login('gw', 'gw-password-1');
  const trpc = svc.trpc(userToken);
  await trpc.tokens.create.mutate({ type: 'ai_token', provider: 'openai', token: keys.openai });
  await trpc.tokens.create.mutate({
    type: 'ai_token',
    provider: 'anthropic',
    token: keys.anthropic,
  });
  await trpc.tokens.create.mutate({ type: 'ai_token', provider: 'google', token: keys.google });
  await trpc.tokens.create.mutate({
    type: 'ai_token',
    provider: 'custom',
    name: 'mine',
    token: keys.custom,
    envVar: 'MINE_API_KEY',
    url: `${fake.openai.origin}/v1`,
  });
  return {
    svc,
    fake,
    keys,
    userId,
    userToken,
    async mint(workspaceId = `ws-${randomUUID()}`, forUser = userId) {
      const { token } = await createSession(svc.service.store.db, {
        userId: forUser,
        kind: 'gateway',
        workspaceId,
        timeoutSeconds: 7200,
      });
      return { token, workspaceId };
    },
    async close() {
      await svc.close();
      await fake.close();
    },
  };
}
