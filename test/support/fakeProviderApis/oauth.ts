// OAuth device authorization (RFC 8628) and refresh as GitHub and GitLab answer them, for the
// fake providers: device codes the test approves, denies, expires or slows down; access tokens
// registered with the fake API (so /user answers for them); refresh tokens that rotate and are
// refused when spent twice. GitHub answers errors with 200, GitLab with 400.
import { randomBytes } from 'node:crypto';
import type { FakeRequest, Reply } from './base';

type Style = 'github' | 'gitlab';

interface DeviceFlow {
  deviceCode: string;
  userCode: string;
  clientId: string;
  state: 'pending' | 'approved' | 'denied';
  account?: string;
  expiresAt: number;
  slowDown: boolean;
}

interface RefreshToken {
  account: string;
  clientId: string;
  used: boolean;
}

export interface FakeOauthOptions {
  /** Access token lifetime in seconds (GitHub App user tokens 8 h, GitLab 2 h). */
  accessSeconds: number;
  /** Polling interval the device endpoint asks for, in seconds. */
  interval: number;
}

function fields(req: FakeRequest): Record<string, string> {
  if (req.json && typeof req.json === 'object') {
    return Object.fromEntries(
      Object.entries(req.json as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  return Object.fromEntries(new URLSearchParams(req.body));
}

export class FakeOauth {
  readonly options: FakeOauthOptions;
  private readonly flows = new Map<string, DeviceFlow>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  /** Calls of the token endpoint with grant_type=refresh_token, and device-code polls. */
  readonly calls = { refresh: 0, poll: 0 };
  /** Client ids this provider knows. */
  readonly clientIds = new Set<string>();

  constructor(
    private readonly style: Style,
    private readonly issueAccess: (token: string, account: string, expiresAt: number) => void,
    private readonly origin: () => string,
  ) {
    this.options = { accessSeconds: style === 'github' ? 28_800 : 7_200, interval: 1 };
  }

  private flowByUserCode(userCode: string): DeviceFlow {
    const flow = [...this.flows.values()].find((f) => f.userCode === userCode);
    if (!flow) throw new Error(`no device flow with user code ${userCode}`);
    return flow;
  }

  approve(userCode: string, account: string): void {
    Object.assign(this.flowByUserCode(userCode), { state: 'approved', account });
  }

  deny(userCode: string): void {
    this.flowByUserCode(userCode).state = 'denied';
  }

  expire(userCode: string): void {
    this.flowByUserCode(userCode).expiresAt = 0;
  }

  /** The next poll of this flow is answered slow_down. */
  slowDown(userCode: string): void {
    this.flowByUserCode(userCode).slowDown = true;
  }

  /** Every refresh token issued so far counts as spent (as if another client used it). */
  spendAllRefreshTokens(): void {
    for (const r of this.refreshTokens.values()) r.used = true;
  }

  private error(error: string, description: string, extra: Record<string, unknown> = {}): Reply {
    return {
      status: this.style === 'github' ? 200 : 400,
      body: { error, error_description: description, ...extra },
    };
  }

  private tokens(account: string, clientId: string): Reply {
    const prefix = this.style === 'github' ? 'ghu_' : 'glo-';
    const access = `${prefix}${randomBytes(18).toString('hex')}`;
    const refresh = `${this.style === 'github' ? 'ghr_' : 'glr-'}${randomBytes(18).toString('hex')}`;
    const expiresAt = Date.now() + this.options.accessSeconds * 1000;
    this.issueAccess(access, account, expiresAt);
    this.refreshTokens.set(refresh, { account, clientId, used: false });
    return {
      status: 200,
      body: {
        access_token: access,
        token_type: 'bearer',
        expires_in: this.options.accessSeconds,
        refresh_token: refresh,
        ...(this.style === 'github'
          ? { refresh_token_expires_in: 15_897_600, scope: '' }
          : { scope: 'api read_user write_repository', created_at: Math.floor(Date.now() / 1000) }),
      },
    };
  }

  /** POST /login/device/code (GitHub) or /oauth/authorize_device (GitLab). */
  device(req: FakeRequest): Reply {
    const f = fields(req);
    if (!f.client_id || !this.clientIds.has(f.client_id)) {
      return this.style === 'github'
        ? { status: 404, body: { error: 'Not Found' } }
        : {
            status: 401,
            body: { error: 'invalid_client', error_description: 'Client authentication failed' },
          };
    }
    const deviceCode = randomBytes(20).toString('hex');
    const userCode =
      `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase();
    this.flows.set(deviceCode, {
      deviceCode,
      userCode,
      clientId: f.client_id,
      state: 'pending',
      expiresAt: Date.now() + 900_000,
      slowDown: false,
    });
    const verification = this.style === 'github' ? '/login/device' : '/oauth/device';
    return {
      status: 200,
      body: {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: `${this.origin()}${verification}`,
        expires_in: 900,
        interval: this.options.interval,
      },
    };
  }

  /** POST /login/oauth/access_token (GitHub) or /oauth/token (GitLab). */
  token(req: FakeRequest): Reply {
    const f = fields(req);
    if (f.grant_type === 'refresh_token') {
      this.calls.refresh += 1;
      const known = this.refreshTokens.get(f.refresh_token ?? '');
      if (!known || known.used || known.clientId !== f.client_id) {
        return this.style === 'github'
          ? this.error('bad_refresh_token', 'The refresh token passed is incorrect or expired.')
          : this.error(
              'invalid_grant',
              'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
            );
      }
      known.used = true;
      return this.tokens(known.account, known.clientId);
    }
    if (f.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code') {
      return this.error('unsupported_grant_type', 'The grant type is not supported.');
    }
    this.calls.poll += 1;
    const flow = this.flows.get(f.device_code ?? '');
    if (!flow || flow.clientId !== f.client_id) {
      return this.error('incorrect_device_code', 'The device_code provided is not valid.');
    }
    if (Date.now() >= flow.expiresAt)
      return this.error('expired_token', 'The device code has expired.');
    if (flow.slowDown) {
      flow.slowDown = false;
      return this.error('slow_down', 'Too many requests have been made in the same timeframe.', {
        interval: this.options.interval + 5,
      });
    }
    if (flow.state === 'denied')
      return this.error('access_denied', 'The authorization request was denied.');
    if (flow.state === 'pending') {
      return this.error('authorization_pending', 'The authorization request is still pending.');
    }
    this.flows.delete(flow.deviceCode); // a device code gives one token
    return this.tokens(flow.account!, flow.clientId);
  }
}
