// A fake Forgejo/Gitea REST API (v1): /user, /user/keys and /user/repos, with Forgejo's token
// scopes (`read:user`, `write:user`, `write:repository`, `all`) and its error bodies.
import {
  authorizationToken,
  FakeProvider,
  keyIdentity,
  newId,
  type FakeRequest,
  type Reply,
} from './base';

export interface ForgejoTokenOptions {
  login: string;
  /** Default `['all']`. */
  scopes?: string[];
  fullName?: string;
  email?: string;
}

interface ForgejoToken {
  login: string;
  scopes: string[];
}

export interface ForgejoKey {
  id: number;
  login: string;
  key: string;
  title: string;
  created_at: string;
}

export interface ForgejoRepo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
}

interface ForgejoUser {
  id: number;
  login: string;
  full_name: string;
  email: string;
}

export class FakeForgejo extends FakeProvider {
  readonly name = 'forgejo' as const;
  private readonly tokens = new Map<string, ForgejoToken>();
  private readonly users = new Map<string, ForgejoUser>();
  readonly keys: ForgejoKey[] = [];
  readonly repos: ForgejoRepo[] = [];

  addToken(token: string, opts: ForgejoTokenOptions): void {
    this.tokens.set(token, { login: opts.login, scopes: opts.scopes ?? ['all'] });
    if (!this.users.has(opts.login)) {
      this.users.set(opts.login, {
        id: newId(),
        login: opts.login,
        full_name: opts.fullName ?? '',
        email: opts.email ?? `${opts.login}@noreply.localhost`,
      });
    }
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  addKey(login: string, publicKey: string, title = 'existing key'): ForgejoKey {
    const identity = keyIdentity(publicKey);
    if (!identity) throw new Error('not an OpenSSH public key');
    const key = { id: newId(), login, key: identity, title, created_at: new Date().toISOString() };
    this.keys.push(key);
    return key;
  }

  keysOf(login: string): ForgejoKey[] {
    return this.keys.filter((k) => k.login === login);
  }

  protected override addTokenFromControl(body: Record<string, unknown>): void {
    this.addToken(String(body.token), body as unknown as ForgejoTokenOptions);
  }

  private error(status: number, message: string): Reply {
    return { status, body: { message, url: `${this.origin}/api/swagger` } };
  }

  protected override errorReply(status: number): Reply {
    if (status === 401) return this.error(401, 'invalid username, password or token');
    if (status === 403) return this.error(403, 'Forbidden');
    if (status >= 500) return this.error(status, 'Internal Server Error');
    return this.error(status, 'Error');
  }

  protected override badJsonReply(): Reply {
    return {
      status: 422,
      body: [{ fieldNames: [], classification: 'DeserializationError', message: 'invalid JSON' }],
    };
  }

  private hasScope(token: ForgejoToken, scope: string): boolean {
    const [level, area] = scope.split(':');
    return token.scopes.some(
      (s) => s === 'all' || s === scope || (level === 'read' && s === `write:${area}`),
    );
  }

  private scopeError(scope: string): Reply {
    return this.error(403, `token does not have at least one of required scope(s): [${scope}]`);
  }

  protected override route(req: FakeRequest): Reply {
    const path = req.path.replace(/\/+$/, '');
    if (!['/api/v1/user', '/api/v1/user/keys', '/api/v1/user/repos'].includes(path)) {
      return {
        status: 404,
        body: { errors: null, message: 'not found', url: `${this.origin}/api/swagger` },
      };
    }
    const value =
      authorizationToken(req, ['token', 'bearer', 'basic']) ??
      req.query.get('token') ??
      req.query.get('access_token') ??
      undefined;
    if (value === undefined) return this.error(401, 'token is required');
    const token = this.tokens.get(value);
    if (!token) return this.error(401, 'invalid username, password or token');
    const user = this.users.get(token.login)!;
    if (path === '/api/v1/user' && req.method === 'GET') {
      if (!this.hasScope(token, 'read:user')) return this.scopeError('read:user');
      return {
        status: 200,
        body: {
          id: user.id,
          login: user.login,
          login_name: '',
          full_name: user.full_name,
          email: user.email,
          avatar_url: `${this.origin}/avatars/${user.id}`,
          language: 'en-US',
          is_admin: false,
          username: user.login,
          html_url: `${this.origin}/${user.login}`,
        },
      };
    }
    if (path === '/api/v1/user/keys' && req.method === 'GET') {
      if (!this.hasScope(token, 'read:user')) return this.scopeError('read:user');
      const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 30) || 30, 1), 50);
      const page = Math.max(Number(req.query.get('page') ?? 1) || 1, 1);
      const all = this.keysOf(user.login);
      return {
        status: 200,
        body: all.slice((page - 1) * limit, page * limit).map((k) => this.keyJson(k)),
        headers: { 'X-Total-Count': String(all.length) },
      };
    }
    if (path === '/api/v1/user/keys' && req.method === 'POST') {
      if (!this.hasScope(token, 'write:user')) return this.scopeError('write:user');
      return this.createKey(req, user);
    }
    if (path === '/api/v1/user/repos' && req.method === 'POST') {
      if (!this.hasScope(token, 'write:repository')) return this.scopeError('write:repository');
      return this.createRepo(req, user);
    }
    return { status: 405, body: { message: 'Method Not Allowed' } };
  }

  private keyJson(k: ForgejoKey): Record<string, unknown> {
    return {
      id: k.id,
      key: k.key,
      url: `${this.origin}/api/v1/user/keys/${k.id}`,
      title: k.title,
      fingerprint: 'SHA256:unknown',
      created_at: k.created_at,
      read_only: false,
      key_type: 'user',
    };
  }

  private createKey(req: FakeRequest, user: ForgejoUser): Reply {
    const body = (req.json ?? {}) as { key?: unknown; title?: unknown };
    if (typeof body.title !== 'string' || !body.title) return this.error(422, '[Title]: Required');
    if (typeof body.key !== 'string' || !body.key) return this.error(422, '[Key]: Required');
    const identity = keyIdentity(body.key);
    if (!identity) return this.error(422, 'Invalid key content: no key found');
    if (this.keys.some((k) => k.key === identity)) {
      return this.error(422, 'Key content has been used as non-deploy key');
    }
    if (this.keysOf(user.login).some((k) => k.title === body.title)) {
      return this.error(422, 'Key title has been used');
    }
    return { status: 201, body: this.keyJson(this.addKey(user.login, identity, body.title)) };
  }

  private createRepo(req: FakeRequest, user: ForgejoUser): Reply {
    const body = (req.json ?? {}) as { name?: unknown; description?: unknown; private?: unknown };
    if (typeof body.name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(body.name)) {
      return this.error(422, '[Name]: Required');
    }
    const name = body.name;
    if (
      this.repos.some((r) => r.owner === user.login && r.name.toLowerCase() === name.toLowerCase())
    ) {
      return this.error(409, 'The repository with the same name already exists.');
    }
    const repo = { id: newId(), owner: user.login, name, private: body.private === true };
    this.repos.push(repo);
    const host = new URL(this.origin).hostname;
    return {
      status: 201,
      body: {
        id: repo.id,
        name,
        full_name: `${user.login}/${name}`,
        owner: { id: user.id, login: user.login, username: user.login },
        private: repo.private,
        description: typeof body.description === 'string' ? body.description : '',
        html_url: `${this.origin}/${user.login}/${name}`,
        clone_url: `${this.origin}/${user.login}/${name}.git`,
        ssh_url: `git@${host}:${user.login}/${name}.git`,
        default_branch: 'main',
      },
    };
  }
}
