// A fake GitLab REST API (v4): /user, /personal_access_tokens/self, /user/keys and /projects,
// with GitLab's token headers, scope checks and its error bodies.
import {
  authorizationToken,
  FakeProvider,
  headerValue,
  keyIdentity,
  newId,
  type FakeRequest,
  type Reply,
} from './base';
import { FakeOauth } from './oauth';

export interface GitlabTokenOptions {
  username: string;
  /** Token scopes; writes (keys, projects) need `api`. Default `['api']`. */
  scopes?: string[];
  /** Expiry date; GitLab keeps a date only (`expires_at: "2026-12-31"`), so the day is kept. */
  expiresAt?: Date | number | null;
  name?: string;
  email?: string;
  /** An OAuth access token expiring at this time (epoch ms): GitLab takes it only as Bearer. */
  oauthExpiresAt?: number;
}

interface GitlabToken {
  id: number;
  username: string;
  scopes: string[];
  expiresOn: string | null;
  oauthExpiresAt?: number;
}

export interface GitlabKey {
  id: number;
  username: string;
  title: string;
  key: string;
  created_at: string;
  /** GitLab's `usage_type`: what the key may be used for. */
  usage_type: 'auth' | 'signing' | 'auth_and_signing';
}

export interface GitlabProject {
  id: number;
  owner: string;
  name: string;
  path: string;
  visibility: string;
}

interface GitlabUser {
  id: number;
  username: string;
  name: string;
  email: string;
}

const READ_SCOPES = ['api', 'read_api', 'read_user'];

export class FakeGitlab extends FakeProvider {
  readonly name = 'gitlab' as const;
  private readonly tokens = new Map<string, GitlabToken>();
  private readonly users = new Map<string, GitlabUser>();
  readonly keys: GitlabKey[] = [];
  readonly projects: GitlabProject[] = [];
  /** The OAuth device flow and refresh at /oauth/authorize_device and /oauth/token. */
  readonly oauth = new FakeOauth(
    'gitlab',
    (token, username, expiresAt) =>
      this.addToken(token, { username, expiresAt: null, oauthExpiresAt: expiresAt }),
    () => this.origin,
  );

  addToken(token: string, opts: GitlabTokenOptions): void {
    const expires = opts.expiresAt instanceof Date ? opts.expiresAt.getTime() : opts.expiresAt;
    this.tokens.set(token, {
      id: newId(),
      username: opts.username,
      scopes: opts.scopes ?? ['api'],
      expiresOn: expires == null ? null : new Date(expires).toISOString().slice(0, 10),
      ...(opts.oauthExpiresAt !== undefined && { oauthExpiresAt: opts.oauthExpiresAt }),
    });
    if (!this.users.has(opts.username)) {
      this.users.set(opts.username, {
        id: newId(),
        username: opts.username,
        name: opts.name ?? opts.username,
        email: opts.email ?? `${opts.username}@example.invalid`,
      });
    }
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  addKey(username: string, publicKey: string, title = 'existing key'): GitlabKey {
    const identity = keyIdentity(publicKey);
    if (!identity) throw new Error('not an OpenSSH public key');
    const key = {
      id: newId(),
      username,
      title,
      key: identity,
      created_at: new Date().toISOString(),
      usage_type: 'auth_and_signing' as GitlabKey['usage_type'],
    };
    this.keys.push(key);
    return key;
  }

  keysOf(username: string): GitlabKey[] {
    return this.keys.filter((k) => k.username === username);
  }

  protected override addTokenFromControl(body: Record<string, unknown>): void {
    this.addToken(String(body.token), body as unknown as GitlabTokenOptions);
  }

  protected override errorReply(status: number): Reply {
    if (status === 401) return { status, body: { message: '401 Unauthorized' } };
    if (status === 403) return { status, body: { message: '403 Forbidden' } };
    if (status === 429)
      return { status, body: 'Retry later', headers: { 'Content-Type': 'text/plain' } };
    if (status >= 500) return { status, body: { message: `${status} Internal Server Error` } };
    return { status, body: { message: `${status} Error` } };
  }

  protected override badJsonReply(): Reply {
    return {
      status: 400,
      body: { error: "The provided content-type 'application/json' is invalid" },
    };
  }

  protected override route(req: FakeRequest): Reply {
    const path = req.path.replace(/\/+$/, '');
    if (req.method === 'POST' && path === '/oauth/authorize_device') return this.oauth.device(req);
    if (req.method === 'POST' && path === '/oauth/token') return this.oauth.token(req);
    const known = [
      '/api/v4/user',
      '/api/v4/personal_access_tokens/self',
      '/api/v4/user/keys',
      '/api/v4/projects',
    ];
    if (!known.includes(path)) return { status: 404, body: { error: '404 Not Found' } };
    const value =
      headerValue(req, 'private-token') ??
      authorizationToken(req, ['bearer', 'basic']) ??
      req.query.get('private_token') ??
      undefined;
    if (value === undefined) return { status: 401, body: { message: '401 Unauthorized' } };
    const token = this.tokens.get(value);
    const today = new Date().toISOString().slice(0, 10);
    // OAuth tokens: GitLab refuses them as PRIVATE-TOKEN, and they expire to the second.
    if (token?.oauthExpiresAt !== undefined) {
      const bearer = authorizationToken(req, ['bearer']);
      if (bearer !== value || token.oauthExpiresAt <= Date.now()) {
        return { status: 401, body: { message: '401 Unauthorized' } };
      }
    }
    // GitLab tokens stop working on their expiry date (at 00:00 UTC).
    if (!token || (token.expiresOn !== null && token.expiresOn <= today)) {
      return { status: 401, body: { message: '401 Unauthorized' } };
    }
    const user = this.users.get(token.username)!;
    if (path === '/api/v4/personal_access_tokens/self' && req.method === 'GET') {
      return {
        status: 200,
        body: {
          id: token.id,
          name: 'xares',
          revoked: false,
          created_at: '2026-01-01T00:00:00.000Z',
          description: null,
          scopes: token.scopes,
          user_id: user.id,
          last_used_at: new Date().toISOString(),
          active: true,
          expires_at: token.expiresOn,
        },
      };
    }
    const write = req.method !== 'GET';
    if (!token.scopes.some((s) => (write ? s === 'api' : READ_SCOPES.includes(s)))) {
      return {
        status: 403,
        body: {
          error: 'insufficient_scope',
          error_description:
            'The request requires higher privileges than provided by the access token.',
          scope: write ? 'api' : 'api read_api read_user',
        },
      };
    }
    if (path === '/api/v4/user' && req.method === 'GET') {
      return {
        status: 200,
        body: {
          id: user.id,
          username: user.username,
          name: user.name,
          state: 'active',
          email: user.email,
          web_url: `${this.origin}/${user.username}`,
        },
      };
    }
    if (path === '/api/v4/user/keys' && req.method === 'GET') {
      const perPage = Math.min(Math.max(Number(req.query.get('per_page') ?? 20) || 20, 1), 100);
      const page = Math.max(Number(req.query.get('page') ?? 1) || 1, 1);
      const all = this.keysOf(user.username);
      return {
        status: 200,
        body: all.slice((page - 1) * perPage, page * perPage).map((k) => this.keyJson(k)),
        headers: {
          'X-Total': String(all.length),
          'X-Page': String(page),
          'X-Per-Page': String(perPage),
        },
      };
    }
    if (path === '/api/v4/user/keys' && req.method === 'POST') return this.createKey(req, user);
    if (path === '/api/v4/projects' && req.method === 'POST') return this.createProject(req, user);
    return { status: 405, body: { message: '405 Method Not Allowed' } };
  }

  private keyJson(k: GitlabKey): Record<string, unknown> {
    return {
      id: k.id,
      title: k.title,
      created_at: k.created_at,
      expires_at: null,
      key: k.key,
      usage_type: k.usage_type,
    };
  }

  private createKey(req: FakeRequest, user: GitlabUser): Reply {
    const body = (req.json ?? {}) as { key?: unknown; title?: unknown; usage_type?: unknown };
    const usages = ['auth', 'signing', 'auth_and_signing'];
    if (body.usage_type !== undefined && !usages.includes(String(body.usage_type))) {
      return { status: 400, body: { error: 'usage_type does not have a valid value' } };
    }
    if (typeof body.title !== 'string' || !body.title) {
      return { status: 400, body: { error: 'title is missing' } };
    }
    if (typeof body.key !== 'string' || !body.key) {
      return { status: 400, body: { error: 'key is missing' } };
    }
    const identity = keyIdentity(body.key);
    if (!identity) return { status: 400, body: { message: { key: ['is invalid'] } } };
    if (this.keys.some((k) => k.key === identity)) {
      return {
        status: 400,
        body: {
          message: {
            key: ['has already been taken'],
            fingerprint_sha256: ['has already been taken'],
          },
        },
      };
    }
    const key = this.addKey(user.username, identity, body.title);
    // GitLab's default is auth_and_signing.
    if (body.usage_type !== undefined) key.usage_type = body.usage_type as GitlabKey['usage_type'];
    return { status: 201, body: this.keyJson(key) };
  }

  private createProject(req: FakeRequest, user: GitlabUser): Reply {
    const body = (req.json ?? {}) as { name?: unknown; path?: unknown; visibility?: unknown };
    const name =
      typeof body.name === 'string' ? body.name : typeof body.path === 'string' ? body.path : '';
    if (!name)
      return {
        status: 400,
        body: { error: 'name, path are missing, at least one parameter must be provided' },
      };
    const path = typeof body.path === 'string' ? body.path : name.replace(/[^A-Za-z0-9._-]/g, '-');
    if (this.projects.some((p) => p.owner === user.username && p.path === path)) {
      return {
        status: 400,
        body: {
          message: {
            'project_namespace.name': ['has already been taken'],
            name: ['has already been taken'],
            path: ['has already been taken'],
          },
        },
      };
    }
    const visibility = typeof body.visibility === 'string' ? body.visibility : 'private';
    const project = { id: newId(), owner: user.username, name, path, visibility };
    this.projects.push(project);
    const host = new URL(this.origin).hostname;
    return {
      status: 201,
      body: {
        id: project.id,
        name,
        path,
        path_with_namespace: `${user.username}/${path}`,
        visibility,
        default_branch: 'main',
        namespace: { id: user.id, name: user.name, path: user.username, kind: 'user' },
        web_url: `${this.origin}/${user.username}/${path}`,
        http_url_to_repo: `${this.origin}/${user.username}/${path}.git`,
        ssh_url_to_repo: `git@${host}:${user.username}/${path}.git`,
      },
    };
  }
}
