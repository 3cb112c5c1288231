// The OAuth 2.0 device authorization grant (RFC 8628) and refresh as GitHub and GitLab speak it:
// GitHub `POST {GITHUB_URL}/login/device/code` then `/login/oauth/access_token`; GitLab
// `POST {GITLAB_URL}/oauth/authorize_device` then `/oauth/token`. Bodies go as JSON, which both
// accept; answers come back as values, never exceptions, and never carry a token into a message.
import type { OauthConfig, ProviderUrls } from '../config';
import { cleanProviderText, providerFetch } from '../providers/http';

export type OauthProvider = 'github' | 'gitlab';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** What the token needs: reading the user and repositories, and adding SSH (signing) keys. */
const SCOPES: Record<OauthProvider, string> = {
  github: 'repo read:user admin:public_key admin:ssh_signing_key',
  gitlab: 'api read_user write_repository',
};

export interface DeviceStart {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  expiresInSeconds: number;
  intervalSeconds: number;
}

export interface IssuedToken {
  accessToken: string;
  refreshToken: string | null;
  /** Epoch ms, when the provider said. */
  expiresAt: number | null;
  refreshExpiresAt: number | null;
  scopes: string[];
}

export type PollAnswer =
  | { kind: 'token'; token: IssuedToken }
  | { kind: 'pending' }
  | { kind: 'slow_down'; intervalSeconds?: number }
  | { kind: 'expired' }
  | { kind: 'denied' }
  | { kind: 'error'; detail: string };

export type RefreshAnswer =
  | { kind: 'token'; token: IssuedToken }
  | { kind: 'rejected'; detail: string }
  | { kind: 'error'; detail: string };

const LABEL: Record<OauthProvider, string> = { github: 'GitHub', gitlab: 'GitLab' };

export interface OauthEndpoints {
  clientId: string;
  deviceUrl: string;
  tokenUrl: string;
}

/** The provider's endpoints and client id, or undefined when the operator configured none. */
export function oauthEndpoints(
  provider: OauthProvider,
  oauth: OauthConfig,
  urls: Pick<ProviderUrls, 'gitlabUrl'>,
): OauthEndpoints | undefined {
  if (provider === 'github') {
    if (!oauth.githubClientId) return undefined;
    return {
      clientId: oauth.githubClientId,
      deviceUrl: `${oauth.githubUrl}/login/device/code`,
      tokenUrl: `${oauth.githubUrl}/login/oauth/access_token`,
    };
  }
  if (!oauth.gitlabClientId) return undefined;
  return {
    clientId: oauth.gitlabClientId,
    deviceUrl: `${urls.gitlabUrl}/oauth/authorize_device`,
    tokenUrl: `${urls.gitlabUrl}/oauth/token`,
  };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

export async function startDeviceFlow(
  provider: OauthProvider,
  endpoints: OauthEndpoints,
): Promise<DeviceStart | { error: string }> {
  const res = await providerFetch(endpoints.deviceUrl, {
    method: 'POST',
    json: { client_id: endpoints.clientId, scope: SCOPES[provider] },
  });
  if (!res.ok) return { error: `${LABEL[provider]} ${res.detail}` };
  const body = (res.json ?? {}) as Record<string, unknown>;
  const deviceCode = str(body.device_code);
  const userCode = str(body.user_code);
  const verificationUri = str(body.verification_uri);
  if (res.status !== 200 || !deviceCode || !userCode || !verificationUri) {
    const why = cleanProviderText(body.error_description ?? body.error, endpoints.clientId);
    return {
      error: `${LABEL[provider]} refused the sign-in (HTTP ${res.status}${why ? `: ${why}` : ''})`,
    };
  }
  return {
    deviceCode,
    userCode: userCode.slice(0, 32),
    verificationUri: verificationUri.slice(0, 500),
    expiresInSeconds: Math.min(num(body.expires_in) ?? 900, 3600),
    intervalSeconds: Math.min(Math.max(num(body.interval) ?? 5, 1), 60),
  };
}

function issued(body: Record<string, unknown>, now: number): IssuedToken | undefined {
  const accessToken = str(body.access_token);
  if (!accessToken) return undefined;
  const expiresIn = num(body.expires_in);
  const refreshIn = num(body.refresh_token_expires_in);
  const scope = typeof body.scope === 'string' ? body.scope : '';
  return {
    accessToken,
    refreshToken: str(body.refresh_token) ?? null,
    expiresAt: expiresIn ? now + expiresIn * 1000 : null,
    refreshExpiresAt: refreshIn ? now + refreshIn * 1000 : null,
    scopes: scope.split(/[\s,]+/).filter(Boolean),
  };
}

export async function pollDeviceFlow(
  provider: OauthProvider,
  endpoints: OauthEndpoints,
  deviceCode: string,
): Promise<PollAnswer> {
  const res = await providerFetch(endpoints.tokenUrl, {
    method: 'POST',
    json: { client_id: endpoints.clientId, device_code: deviceCode, grant_type: DEVICE_GRANT },
  });
  if (!res.ok) return { kind: 'error', detail: `${LABEL[provider]} ${res.detail}` };
  const body = (res.json ?? {}) as Record<string, unknown>;
  const token = res.status === 200 ? issued(body, Date.now()) : undefined;
  if (token) return { kind: 'token', token };
  // GitHub answers errors with 200, GitLab with 400; both name them in `error`.
  switch (body.error) {
    case 'authorization_pending':
      return { kind: 'pending' };
    case 'slow_down': {
      const interval = num(body.interval);
      return interval ? { kind: 'slow_down', intervalSeconds: interval } : { kind: 'slow_down' };
    }
    case 'expired_token':
      return { kind: 'expired' };
    case 'access_denied':
      return { kind: 'denied' };
    default: {
      const why = cleanProviderText(body.error_description ?? body.error, deviceCode);
      return {
        kind: 'error',
        detail: `${LABEL[provider]} answered HTTP ${res.status}${why ? `: ${why}` : ''}`,
      };
    }
  }
}

export async function refreshAccessToken(
  provider: OauthProvider,
  endpoints: OauthEndpoints,
  refreshToken: string,
): Promise<RefreshAnswer> {
  const res = await providerFetch(endpoints.tokenUrl, {
    method: 'POST',
    json: {
      client_id: endpoints.clientId,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    },
  });
  if (!res.ok) return { kind: 'error', detail: `${LABEL[provider]} ${res.detail}` };
  const body = (res.json ?? {}) as Record<string, unknown>;
  const token = res.status === 200 ? issued(body, Date.now()) : undefined;
  if (token) return { kind: 'token', token };
  const why = cleanProviderText(body.error_description ?? body.error, refreshToken);
  // A refresh token that is expired, revoked or already spent: only a new sign-in helps.
  if (['bad_refresh_token', 'invalid_grant', 'unauthorized_client'].includes(String(body.error))) {
    return { kind: 'rejected', detail: why || 'the refresh token was refused' };
  }
  return {
    kind: 'error',
    detail: `${LABEL[provider]} answered HTTP ${res.status}${why ? `: ${why}` : ''}`,
  };
}
