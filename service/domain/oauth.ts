// OAuth device sign-in to GitHub or GitLab (oauth.start / oauth.poll): the service asks the
// provider for a device code, the user enters the user code on the provider's page, and polls
// collect the token, which lands as a git token of that provider (created, or replaced when the
// user reconnects), tested for its account and scopes, its refresh token kept encrypted.
import { randomUUID } from 'node:crypto';
import type { SecretOwner } from '../crypto/keyring';
import { AppError } from '../errors';
import {
  oauthEndpoints,
  pollDeviceFlow,
  startDeviceFlow,
  type IssuedToken,
  type OauthProvider,
} from '../oauth/deviceClient';
import { testCredential } from '../providers';
import type { OauthPoll, OauthStart, OauthStartInputT } from '../api/oauth';
import {
  createCredential,
  findCredentialInfoByName,
  findCredentialInfo,
  recordTestResult,
  updateCredential,
} from '../store/credentials';
import { findFlow, insertFlow, updateFlow, type OauthFlowRow } from '../store/oauthFlows';
import { encryptRefreshToken, setOauthColumns } from '../store/oauthTokens';
import { audit, auditChange, iso } from './common';
import type { DomainContext } from './deps';
import { toTokenInfo } from './tokens';
import { inTransaction } from '../store/retry';

const LABEL: Record<OauthProvider, string> = { github: 'GitHub', gitlab: 'GitLab' };
const VARIABLE: Record<OauthProvider, string> = {
  github: 'GITHUB_OAUTH_CLIENT_ID',
  gitlab: 'GITLAB_OAUTH_CLIENT_ID',
};

/** The device code is sealed to its flow and owner, in the key ring's second AAD form. */
const FLOW_AAD_VERSION = 2;
function flowOwner(userId: string, flowId: string, provider: OauthProvider): SecretOwner {
  return {
    id: `oauth-flow:${flowId}`,
    user_id: userId,
    type: 'git_token',
    provider,
    name: '',
    url: null,
    env_var: null,
  };
}

function endpointsOrExplain(ctx: DomainContext, provider: OauthProvider) {
  const endpoints = oauthEndpoints(provider, ctx.deps.config.oauth, ctx.deps.config.providers);
  if (!endpoints) {
    throw new AppError(
      'BAD_REQUEST',
      `Signing in with ${LABEL[provider]} is not set up on this service: the operator registers an OAuth app at ${LABEL[provider]} and sets ${VARIABLE[provider]}. Until then, paste a token instead.`,
    );
  }
  return endpoints;
}

export async function startOauth(ctx: DomainContext, input: OauthStartInputT): Promise<OauthStart> {
  const endpoints = endpointsOrExplain(ctx, input.provider);
  const started = await startDeviceFlow(input.provider, endpoints);
  if ('error' in started) throw new AppError('SERVICE_UNAVAILABLE', started.error);
  const { store, keyring } = ctx.deps;
  const id = randomUUID();
  const now = Date.now();
  const code = await keyring.encryptSecret(
    flowOwner(ctx.caller.userId, id, input.provider),
    started.deviceCode,
    undefined,
    FLOW_AAD_VERSION,
  );
  const expiresAt = now + started.expiresInSeconds * 1000;
  await insertFlow(store.db, {
    id,
    user_id: ctx.caller.userId,
    provider: input.provider,
    name: input.name ?? 'default',
    device_code_ciphertext: code.secret_ciphertext,
    device_code_iv: code.secret_iv,
    device_code_tag: code.secret_tag,
    data_key_version: code.data_key_version,
    interval_seconds: started.intervalSeconds,
    next_poll_at: now + started.intervalSeconds * 1000,
    expires_at: expiresAt,
    status: 'pending',
    detail: null,
    credential_id: null,
    created_at: now,
  });
  return {
    flowId: id,
    userCode: started.userCode,
    verificationUri: started.verificationUri,
    expiresAt: iso(expiresAt),
    interval: started.intervalSeconds,
  };
}

async function answerOf(ctx: DomainContext, flow: OauthFlowRow): Promise<OauthPoll> {
  if (flow.status === 'connected' && flow.credential_id) {
    const info = await findCredentialInfo(ctx.deps.store.db, ctx.caller.userId, flow.credential_id);
    return info ? { status: 'connected', token: toTokenInfo(info) } : { status: 'connected' };
  }
  return { status: flow.status, ...(flow.detail ? { detail: flow.detail } : {}) };
}

export async function pollOauth(ctx: DomainContext, flowId: string): Promise<OauthPoll> {
  const db = ctx.deps.store.db;
  const flow = await findFlow(db, ctx.caller.userId, flowId);
  if (!flow) throw new AppError('NOT_FOUND', 'no such sign-in');
  if (flow.status !== 'pending') return answerOf(ctx, flow);
  const now = Date.now();
  if (now >= flow.expires_at) {
    await updateFlow(db, flow, { status: 'expired', detail: 'the code expired; start again' });
    return { status: 'expired', detail: 'the code expired; start again' };
  }
  // Never faster than the provider allows; a second poll meanwhile (another window, another
  // replica) just hears "pending".
  if (now < flow.next_poll_at) return { status: 'pending' };
  const turn = { ...flow, version: flow.version + 1 };
  if (!(await updateFlow(db, flow, { next_poll_at: now + flow.interval_seconds * 1000 }))) {
    return { status: 'pending' };
  }
  const provider = flow.provider;
  const endpoints = endpointsOrExplain(ctx, provider);
  const deviceCode = await ctx.deps.keyring.decryptSecret({
    ...flowOwner(flow.user_id, flow.id, flow.provider),
    secret_aad_version: FLOW_AAD_VERSION,
    secret_ciphertext: flow.device_code_ciphertext,
    secret_iv: flow.device_code_iv,
    secret_tag: flow.device_code_tag,
    data_key_version: flow.data_key_version,
  });
  const answer = await pollDeviceFlow(provider, endpoints, deviceCode);
  switch (answer.kind) {
    case 'pending':
      return { status: 'pending' };
    case 'slow_down': {
      // RFC 8628: add 5 seconds to the interval for this and every later poll.
      const interval = Math.min(answer.intervalSeconds ?? flow.interval_seconds + 5, 120);
      await updateFlow(db, turn, {
        interval_seconds: interval,
        next_poll_at: Date.now() + interval * 1000,
      });
      return { status: 'pending' };
    }
    case 'expired':
    case 'denied': {
      const status = answer.kind;
      const detail =
        status === 'denied'
          ? `the sign-in was declined at ${LABEL[provider]}`
          : 'the code expired; start again';
      await updateFlow(db, turn, { status, detail });
      await audit(ctx, {
        action: 'login',
        outcome: 'failure',
        provider,
        name: flow.name,
        detail: `${LABEL[provider]} sign-in: ${status}`,
      });
      return { status, detail };
    }
    case 'error':
      // Transient (network, odd answer): keep polling.
      return { status: 'pending', detail: answer.detail };
    case 'token': {
      const id = await landToken(ctx, flow, answer.token);
      await updateFlow(db, turn, { status: 'connected', credential_id: id });
      const info = await findCredentialInfo(db, ctx.caller.userId, id);
      return info ? { status: 'connected', token: toTokenInfo(info) } : { status: 'connected' };
    }
  }
}

/** Stores the issued token as the user's git token of the provider and name; returns its id. */
async function landToken(
  ctx: DomainContext,
  flow: OauthFlowRow,
  token: IssuedToken,
): Promise<string> {
  const { store, keyring, config } = ctx.deps;
  const provider = flow.provider;
  const test = await testCredential(
    { type: 'git_token', provider, token: token.accessToken, source: 'oauth' },
    config.providers,
  );
  const account = test.account ?? null;
  const expiresAt = token.expiresAt ?? (typeof test.expiresAt === 'number' ? test.expiresAt : null);
  const id = await inTransaction(store.db, async (trx) => {
    const existing = await findCredentialInfoByName(trx, ctx.caller.userId, {
      type: 'git_token',
      provider,
      name: flow.name,
    });
    const info = existing
      ? await updateCredential(trx, keyring, ctx.caller.userId, existing.id, {
          secret: token.accessToken,
          username: account,
          expiresAt,
        })
      : await createCredential(trx, keyring, {
          userId: ctx.caller.userId,
          type: 'git_token',
          provider,
          name: flow.name,
          secret: token.accessToken,
          username: account,
          expiresAt,
          source: 'oauth',
        });
    await setOauthColumns(trx, ctx.caller.userId, info.id, {
      source: 'oauth',
      ...(await encryptRefreshToken(
        trx,
        keyring,
        { id: info.id, user_id: ctx.caller.userId, type: 'git_token', provider },
        token.refreshToken,
      )),
      refresh_expires_at: token.refreshExpiresAt,
      refresh_failed_at: null,
    });
    await auditChange(trx, ctx, info, existing ? 'update' : 'create');
    return info.id;
  });
  await recordTestResult(store.db, ctx.caller.userId, id, {
    status: test.status,
    detail: test.detail,
  });
  return id;
}
