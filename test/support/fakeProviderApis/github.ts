// A fake GitHub REST API (api.github.com, or GitHub Enterprise below /api/v3): /user,
// /user/keys, /user/ssh_signing_keys and /user/repos with GitHub's status codes, scope headers
// and error bodies.
import {
  authorizationToken,
  FakeProvider,
  keyIdentity,
  newId,
  type FakeRequest,
  type Reply,
} from './base';
import { FakeOauth } from './oauth';

export interface GithubTokenOptions {
  login: string;
  /** Classic token scopes, sent in `X-OAuth-Scopes`; null makes a fine-grained token (no header). */
  scopes?: string[] | null;
  /** When the token expires (sent in `GitHub-Authentication-Token-Expiration`); past = rejected. */
  expiresAt?: Date | number | null;
  name?: string | null;
  email?: string | null;
}

interface GithubToken {
  login: string;
  scopes: string[] | null;
  expiresAt: number | null;
}

export interface GithubKey {
  id: number;
  login: string;
  key: string;
  title: string;
  created_at: string;
}

export interface GithubRepo {
  id: number;
  owner: string;
  name: string;
  description: string | null;
  private: boolean;
}

interface GithubAccount {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
}

const DOCS = 'https://docs.github.com/rest';

export const DEFAULT_GITHUB_SCOPES = [
  'repo',
  'read:user',
  'admin:public_key',
  'admin:ssh_signing_key',
];

/** `2026-12-31 23:59:59 UTC`, the form GitHub sends in the expiration header. */
export function githubExpirationHeader(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function githubError(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return {
    status,
    body: { message, ...extra, documentation_url: DOCS, status: String(status) },
    headers: { 'X-GitHub-Request-Id': `FAKE:${newId()}` },
  };
}

export class FakeGithub extends FakeProvider {
  readonly name = 'github' as const;
  private readonly tokens = new Map<string, GithubToken>();
  private readonly accounts = new Map<string, GithubAccount>();
  readonly keys: GithubKey[] = [];
  /** SSH signing keys: GitHub keeps them apart from authentication keys. */
  readonly signingKeys: GithubKey[] = [];
  readonly repos: GithubRepo[] = [];
  /** The OAuth device flow and refresh at {GITHUB_URL}/login/... (this fake's origin). */
  readonly oauth = new FakeOauth(
    'github',
    (token, login, expiresAt) => this.addToken(token, { login, scopes: null, expiresAt }),
    () => this.origin,
  );

  /** Makes `token` valid for account `login` (created on first use). */
  addToken(token: string, opts: GithubTokenOptions): void {
    const expires = opts.expiresAt instanceof Date ? opts.expiresAt.getTime() : opts.expiresAt;
    this.tokens.set(token, {
      login: opts.login,
      scopes: opts.scopes === undefined ? DEFAULT_GITHUB_SCOPES : opts.scopes,
      expiresAt: expires ?? null,
    });
    if (!this.accounts.has(opts.login)) {
      this.accounts.set(opts.login, {
        id: newId(),
        login: opts.login,
        name: opts.name ?? null,
        email: opts.email ?? null,
      });
    }
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** Puts a key on an account as if added earlier through the web UI. */
  addKey(login: string, publicKey: string, title = 'existing key'): GithubKey {
    const identity = keyIdentity(publicKey);
    if (!identity) throw new Error('not an OpenSSH public key');
    const key = { id: newId(), login, key: identity, title, created_at: new Date().toISOString() };
    this.keys.push(key);
    return key;
  }

  addSigningKey(login: string, publicKey: string, title = 'existing signing key'): GithubKey {
    const identity = keyIdentity(publicKey);
    if (!identity) throw new Error('not an OpenSSH public key');
    const key = { id: newId(), login, key: identity, title, created_at: new Date().toISOString() };
    this.signingKeys.push(key);
    return key;
  }

  keysOf(login: string): GithubKey[] {
    return this.keys.filter((k) => k.login === login);
  }

  protected override addTokenFromControl(body: Record<string, unknown>): void {
    this.addToken(String(body.token), body as unknown as GithubTokenOptions);
  }

  protected override errorReply(status: number): Reply {
    if (status === 401) return githubError(401, 'Bad credentials');
    if (status === 403) return githubError(403, 'API rate limit exceeded for user ID 1.');
    if (status >= 500)
      return githubError(status, status === 503 ? 'Service Unavailable' : 'Server Error');
    return githubError(status, 'Error');
  }

  protected override badJsonReply(): Reply {
    return githubError(400, 'Problems parsing JSON');
  }

  protected override route(req: FakeRequest): Reply {
    // GitHub Enterprise serves the same API below /api/v3; accept both roots.
    const path = req.path.replace(/^\/api\/v3(?=\/)/, '').replace(/\/+$/, '');
    if (req.method === 'POST' && path === '/login/device/code') return this.oauth.device(req);
    if (req.method === 'POST' && path === '/login/oauth/access_token') return this.oauth.token(req);
    const auth = this.authenticate(req);
    const known = ['/user', '/user/keys', '/user/ssh_signing_keys', '/user/repos'];
    if (!known.includes(path)) return githubError(404, 'Not Found');
    if (auth === 'missing') return githubError(401, 'Requires authentication');
    if (auth === 'bad') return githubError(401, 'Bad credentials');
    const { token, account } = auth;
    const headers = this.authHeaders(token);
    const reply = this.routeAuthenticated(req, path, token, account);
    return { ...reply, headers: { ...headers, ...(reply.headers ?? {}) } };
  }

  private routeAuthenticated(
    req: FakeRequest,
    path: string,
    token: GithubToken,
    account: GithubAccount,
  ): Reply {
    if (path === '/user' && req.method === 'GET') {
      return {
        status: 200,
        body: {
          login: account.login,
          id: account.id,
          node_id: `U_${account.id}`,
          type: 'User',
          site_admin: false,
          name: account.name,
          email: account.email,
          html_url: `${this.origin}/${account.login}`,
          created_at: '2020-01-01T00:00:00Z',
        },
      };
    }
    if (path === '/user/keys' && req.method === 'GET') return this.listKeys(req, account);
    if (path === '/user/keys' && req.method === 'POST') return this.createKey(req, token, account);
    if (path === '/user/ssh_signing_keys' && req.method === 'GET') {
      return this.listKeys(req, account, 'signing');
    }
    if (path === '/user/ssh_signing_keys' && req.method === 'POST') {
      return this.createKey(req, token, account, 'signing');
    }
    if (path === '/user/repos' && req.method === 'POST')
      return this.createRepo(req, token, account);
    return githubError(404, 'Not Found');
  }

  private authenticate(
    req: FakeRequest,
  ): 'missing' | 'bad' | { token: GithubToken; account: GithubAccount } {
    const value = authorizationToken(req, ['bearer', 'token', 'basic']);
    if (value === undefined) return 'missing';
    const token = this.tokens.get(value);
    if (!token || (token.expiresAt !== null && token.expiresAt <= Date.now())) return 'bad';
    return { token, account: this.accounts.get(token.login)! };
  }

  private authHeaders(token: GithubToken): Record<string, string> {
    const h: Record<string, string> = {
      'X-GitHub-Request-Id': `FAKE:${newId()}`,
      'X-RateLimit-Limit': '5000',
      'X-RateLimit-Remaining': '4999',
      'X-GitHub-Media-Type': 'github.v3; format=json',
    };
    if (token.scopes !== null) {
      h['X-OAuth-Scopes'] = token.scopes.join(', ');
      h['X-Accepted-OAuth-Scopes'] = '';
    }
    if (token.expiresAt !== null) {
      h['GitHub-Authentication-Token-Expiration'] = githubExpirationHeader(token.expiresAt);
    }
    return h;
  }

  private hasScope(token: GithubToken, wanted: string[]): boolean {
    // Fine-grained tokens carry permissions GitHub does not list; the fake grants them.
    return token.scopes === null || wanted.some((s) => token.scopes!.includes(s));
  }

  private listKeys(
    req: FakeRequest,
    account: GithubAccount,
    kind: 'authentication' | 'signing' = 'authentication',
  ): Reply {
    const perPage = Math.min(Math.max(Number(req.query.get('per_page') ?? 30) || 30, 1), 100);
    const page = Math.max(Number(req.query.get('page') ?? 1) || 1, 1);
    const all =
      kind === 'signing'
        ? this.signingKeys.filter((k) => k.login === account.login)
        : this.keysOf(account.login);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    return {
      status: 200,
      body: slice.map((k) => ({
        id: k.id,
        key: k.key,
        url: `${this.origin}/user/keys/${k.id}`,
        title: k.title,
        created_at: k.created_at,
        verified: true,
        read_only: false,
      })),
    };
  }

  private createKey(
    req: FakeRequest,
    token: GithubToken,
    account: GithubAccount,
    kind: 'authentication' | 'signing' = 'authentication',
  ): Reply {
    const scopes =
      kind === 'signing'
        ? ['admin:ssh_signing_key', 'write:ssh_signing_key']
        : ['admin:public_key', 'write:public_key'];
    if (!this.hasScope(token, scopes)) {
      return {
        ...githubError(404, 'Not Found'),
        headers: { 'X-Accepted-OAuth-Scopes': scopes.join(', ') },
      };
    }
    const store = kind === 'signing' ? this.signingKeys : this.keys;
    const body = (req.json ?? {}) as { key?: unknown; title?: unknown };
    if (typeof body.key !== 'string' || body.key.length === 0) {
      return githubError(422, 'Invalid request.\n\n"key" wasn\'t supplied.');
    }
    const identity = keyIdentity(body.key);
    if (!identity) {
      return githubError(422, 'Validation Failed', {
        errors: [
          {
            resource: 'PublicKey',
            code: 'custom',
            field: 'key',
            message: 'key is invalid. You must supply a key in OpenSSH public key format',
          },
        ],
      });
    }
    if (store.some((k) => k.key === identity)) {
      return githubError(422, 'Validation Failed', {
        errors: [
          { resource: 'PublicKey', code: 'custom', field: 'key', message: 'key is already in use' },
        ],
      });
    }
    const title = typeof body.title === 'string' && body.title ? body.title : identity.slice(0, 30);
    const key =
      kind === 'signing'
        ? this.addSigningKey(account.login, identity, title)
        : this.addKey(account.login, identity, title);
    return {
      status: 201,
      body: {
        id: key.id,
        key: key.key,
        url: `${this.origin}/user/${kind === 'signing' ? 'ssh_signing_keys' : 'keys'}/${key.id}`,
        title: key.title,
        created_at: key.created_at,
        verified: true,
        read_only: false,
      },
      headers: { Location: `${this.origin}/user/keys/${key.id}` },
    };
  }

  private createRepo(req: FakeRequest, token: GithubToken, account: GithubAccount): Reply {
    const body = (req.json ?? {}) as { name?: unknown; description?: unknown; private?: unknown };
    const isPrivate = body.private === true;
    if (!this.hasScope(token, isPrivate ? ['repo'] : ['repo', 'public_repo'])) {
      return githubError(404, 'Not Found');
    }
    if (typeof body.name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(body.name)) {
      return githubError(422, 'Repository creation failed.', {
        errors: [
          { resource: 'Repository', code: 'custom', field: 'name', message: 'name is invalid' },
        ],
      });
    }
    const name = body.name;
    if (
      this.repos.some(
        (r) => r.owner === account.login && r.name.toLowerCase() === name.toLowerCase(),
      )
    ) {
      return githubError(422, 'Repository creation failed.', {
        errors: [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name already exists on this account',
          },
        ],
      });
    }
    const repo: GithubRepo = {
      id: newId(),
      owner: account.login,
      name,
      description: typeof body.description === 'string' ? body.description : null,
      private: isPrivate,
    };
    this.repos.push(repo);
    const host = new URL(this.origin).host;
    return {
      status: 201,
      body: {
        id: repo.id,
        name: repo.name,
        full_name: `${account.login}/${repo.name}`,
        private: repo.private,
        description: repo.description,
        owner: { login: account.login, id: account.id, type: 'User' },
        html_url: `${this.origin}/${account.login}/${repo.name}`,
        clone_url: `${this.origin}/${account.login}/${repo.name}.git`,
        git_url: `git://${host}/${account.login}/${repo.name}.git`,
        ssh_url: `git@${new URL(this.origin).hostname}:${account.login}/${repo.name}.git`,
        default_branch: 'main',
      },
      headers: { Location: `${this.origin}/repos/${account.login}/${repo.name}` },
    };
  }
}
