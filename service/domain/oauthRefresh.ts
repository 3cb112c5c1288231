// Refreshes an OAuth git token shortly before it expires, when git asks for it: at most once at a
// time per token across replicas (store/oauthTokens.ts's claim), the refresh token revealed only
// after its audit row was written, a refusal marking the token so the user is told to reconnect.
import { recordAudit } from '../audit/audit';
import { AppError } from '../errors';
import { findCredentialForUser, secretHint } from '../store/credentials';
import {
  claimRefresh,
  decryptRefreshToken,
  encryptRefreshToken,
  finishRefresh,
  REFRESH_CLAIM_MS,
} from '../store/oauthTokens';
import type { CredentialRow } from '../store/schema';
import type { DomainContext } from './deps';
import { auditFields } from './common';
import { oauthEndpoints, refreshAccessToken, type OauthProvider } from '../oauth/deviceClient';

/** Refresh this long before the access token expires (git may hold it for a while). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
const WAIT_STEP_MS = 100;

const LABEL: Record<OauthProvider, string> = { github: 'GitHub', gitlab: 'GitLab' };

export function reconnectDetail(provider: OauthProvider): string {
  return `The ${LABEL[provider]} sign-in could not be renewed; reconnect ${LABEL[provider]}.`;
}

function isDue(row: CredentialRow, now: number): boolean {
  return (
    row.source === 'oauth' &&
    row.refresh_ciphertext !== null &&
    row.refresh_failed_at === null &&
    row.expires_at !== null &&
    row.expires_at - now <= REFRESH_MARGIN_MS &&
    (row.provider === 'github' || row.provider === 'gitlab')
  );
}

/** The row to reveal: `row` itself, or the row after a refresh (ours or another process's). */
export async function refreshIfDue(ctx: DomainContext, row: CredentialRow): Promise<CredentialRow> {
  const now = Date.now();
  if (!isDue(row, now)) return row;
  const provider = row.provider as OauthProvider;
  const { store, keyring, config } = ctx.deps;
  const endpoints = oauthEndpoints(provider, config.oauth, config.providers);
  if (!endpoints) return row;
  const db = store.db;
  const reread = async () => (await findCredentialForUser(db, row.user_id, row.id)) ?? row;

  if (!(await claimRefresh(db, row, now))) {
    // Another request or replica is refreshing: wait for its result instead of spending the
    // refresh token a second time.
    const deadline = Date.now() + REFRESH_CLAIM_MS;
    for (;;) {
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
      const current = await reread();
      if (current.oauth_version % 2 === 0 || Date.now() > deadline) return current;
    }
  }
  const claimed = (await reread()).oauth_version;
  const audit = {
    ...auditFields(ctx.caller),
    credentialId: row.id,
    credentialType: row.type,
    provider: row.provider,
    name: row.name,
  };
  try {
    await recordAudit(db, {
      ...audit,
      action: 'read',
      outcome: 'success',
      detail: 'refresh token used to renew the access token',
    });
    const refreshToken = await decryptRefreshToken(db, keyring, row);
    if (!refreshToken) throw new AppError('INTERNAL_SERVER_ERROR', 'the refresh token is missing');
    const answer = await refreshAccessToken(provider, endpoints, refreshToken);
    if (answer.kind === 'token') {
      const t = answer.token;
      const access = await keyring.encryptSecret(row, t.accessToken, db);
      // Providers that rotate send a new refresh token; the old one is spent.
      const refresh =
        t.refreshToken === null ? {} : await encryptRefreshToken(db, keyring, row, t.refreshToken);
      await finishRefresh(db, row.user_id, row.id, claimed, {
        ...access,
        ...refresh,
        hint: secretHint(t.accessToken),
        expires_at: t.expiresAt,
        ...(t.refreshExpiresAt !== null && { refresh_expires_at: t.refreshExpiresAt }),
      });
      await recordAudit(db, {
        ...audit,
        action: 'update',
        outcome: 'success',
        detail: 'access token renewed',
      });
    } else if (answer.kind === 'rejected') {
      await finishRefresh(db, row.user_id, row.id, claimed, {
        refresh_failed_at: Date.now(),
        last_test_status: 'invalid',
        last_test_detail: `${reconnectDetail(provider)} (${answer.detail})`.slice(0, 1000),
        last_test_at: Date.now(),
      });
      await recordAudit(db, {
        ...audit,
        action: 'update',
        outcome: 'failure',
        detail: `renewal refused: ${answer.detail}`.slice(0, 500),
      });
    } else {
      // Unreachable or odd answer: release the claim and try again on the next request.
      await finishRefresh(db, row.user_id, row.id, claimed, {});
      ctx.deps.logger.warn({ provider, detail: answer.detail }, 'token refresh failed');
    }
  } catch (err) {
    await finishRefresh(db, row.user_id, row.id, claimed, {}).catch(() => undefined);
    throw err;
  }
  return reread();
}
