// Gathers what an injection needs from the store: the SSH key and AI keys (each revealed through
// revealSecret, so its audit row is written first) and the non-secret git provider settings.
// Git tokens stay in the store: the workspace asks for them at run time.
import type { Config } from '../config';
import type { KeyRing } from '../crypto/keyring';
import { hostsNeedingPath } from '../providers/gitHosts';
import { envVarRefusal } from '../envNames';
import { getSettings } from '../store/settings';
import {
  findCredentialByName,
  findCredentialForUser,
  listCredentials,
  type CredentialInfo,
} from '../store/credentials';
import { recordAudit } from '../audit/audit';
import { revealSecret } from '../crypto/secrets';
import type { Executor } from '../store/database';
import type { AiKeyDelivery, AiKeys } from './aiConfig';
import type { GitProviderSettings } from './content';

export interface RevealContext {
  userId: string;
  username: string;
  workspaceId: string;
  ipAddress: string | null;
  userAgent: string | null;
}

/** How AI keys reach the workspace; in gateway mode no AI key is revealed at all. */
export interface AiDelivery {
  delivery: AiKeyDelivery;
  /** `{service}/ai`, as the workspace reaches it. */
  gatewayUrl: string;
  /** Mints the workspace's gateway token (called once, only when there is an AI key). */
  mintGatewayToken: () => Promise<string>;
}

export interface CredentialBundle {
  sshKey: { privateKey: string; publicKey: string } | null;
  git: GitProviderSettings;
  ai: AiKeys;
}

/** Per provider, the credential named `default`, else the first by name. */
function pickPerProvider(rows: CredentialInfo[]): Map<string, CredentialInfo> {
  const chosen = new Map<string, CredentialInfo>();
  for (const r of rows) {
    const current = chosen.get(r.provider);
    if (!current || (r.name === 'default' && current.name !== 'default')) chosen.set(r.provider, r);
  }
  return chosen;
}

export async function gatherBundle(
  db: Executor,
  keyring: KeyRing,
  config: Config,
  ctx: RevealContext,
  delivery: AiDelivery,
): Promise<CredentialBundle> {
  const reveal = async (id: string): Promise<string | undefined> => {
    const row = await findCredentialForUser(db, ctx.userId, id);
    if (!row) return undefined; // deleted meanwhile
    return revealSecret(db, keyring, row, {
      userId: ctx.userId,
      username: ctx.username,
      action: 'inject',
      workspaceId: ctx.workspaceId,
      ipAddress: ctx.ipAddress,
      userAgent: ctx.userAgent,
    });
  };

  let sshKey: CredentialBundle['sshKey'] = null;
  const keyRow = await findCredentialByName(db, ctx.userId, {
    type: 'ssh_key',
    provider: 'ssh',
    name: 'default',
  });
  if (keyRow?.public_key) {
    const privateKey = await reveal(keyRow.id);
    if (privateKey) sshKey = { privateKey, publicKey: keyRow.public_key };
  }

  const allGitTokens = await listCredentials(db, ctx.userId, { type: 'git_token' });
  const gitTokens = pickPerProvider(allGitTokens);
  const order = ['github', 'gitlab', 'forgejo'] as const;
  const git: GitProviderSettings = {
    configured: order.filter((p) => gitTokens.has(p) && (p !== 'forgejo' || gitTokens.get(p)?.url)),
    githubApiUrl: config.providers.githubApiUrl,
    gitlabUrl: gitTokens.get('gitlab')?.url || config.providers.gitlabUrl,
    forgejoUrl: gitTokens.get('forgejo')?.url || null,
    useHttpPath: hostsNeedingPath(allGitTokens, config.providers),
    commitSigning: (await getSettings(db, ctx.userId)).commitSigning,
  };

  const aiRows = await listCredentials(db, ctx.userId, { type: 'ai_token' });
  const perProvider = pickPerProvider(aiRows.filter((r) => r.provider !== 'custom'));
  const gateway = delivery.delivery === 'gateway';
  const ai: AiKeys = {
    delivery: delivery.delivery,
    gatewayUrl: null,
    custom: [],
    providerUrls: {
      openai: config.providers.openaiBaseUrl,
      anthropic: config.providers.anthropicBaseUrl,
      google: config.providers.googleAiBaseUrl,
    },
    models: config.aiModels,
  };
  // Gateway mode: the keys stay in the service; a custom key without a URL has nowhere to be
  // forwarded to, so it is left out rather than put in the container.
  const customRows = aiRows.filter(
    (r) => r.provider === 'custom' && r.env_var && (!gateway || r.url),
  );
  let token: string | undefined;
  if (gateway && (perProvider.size > 0 || customRows.length > 0)) {
    token = await delivery.mintGatewayToken();
    ai.gatewayUrl = delivery.gatewayUrl;
  }
  const valueOf = async (id: string) => (gateway ? token : reveal(id));
  for (const provider of ['openai', 'anthropic', 'google'] as const) {
    const row = perProvider.get(provider);
    if (row) ai[provider] = await valueOf(row.id);
  }
  for (const row of customRows) {
    const refusal = envVarRefusal(row.env_var ?? '');
    if (refusal) {
      // Stored before the allow-list (or written to the database directly): never revealed,
      // never exported; the audit row tells the user why the key is missing.
      await recordAudit(db, {
        userId: ctx.userId,
        username: ctx.username,
        action: 'inject',
        outcome: 'denied',
        credentialId: row.id,
        credentialType: row.type,
        provider: row.provider,
        name: row.name,
        workspaceId: ctx.workspaceId,
        ipAddress: ctx.ipAddress,
        userAgent: ctx.userAgent,
        detail: `not injected as ${(row.env_var ?? '').slice(0, 100)}: ${refusal}`,
      });
      continue;
    }
    const value = await valueOf(row.id);
    if (value !== undefined && row.env_var) {
      ai.custom.push({ envVar: row.env_var, value, name: row.name });
    }
  }
  return { sshKey, git, ai };
}
