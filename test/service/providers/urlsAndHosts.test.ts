// Provider URL rules (https unless loopback, no credentials, no control characters) and the
// git host -> token matching of CONTRACT.md section 6, including GHE and Forgejo with a port.
import assert from 'node:assert/strict';
import { AppError } from '../../../service/errors';
import {
  defaultGitUsername,
  gitHostFor,
  isLoopbackHost,
  matchGitCredential,
  publicKeyIdentity,
  validateProviderUrl,
} from '../../../service/providers';
import { parseGithubExpiration, parseGithubScopes } from '../../../service/providers/github';
import { parseGitlabExpiry } from '../../../service/providers/gitlab';
import { tierSuite } from '../../support/tiers';

const DEFAULT_URLS = { githubApiUrl: 'https://api.github.com', gitlabUrl: 'https://gitlab.com' };
const GHE_URLS = {
  githubApiUrl: 'https://ghe.corp.example/api/v3',
  gitlabUrl: 'https://gitlab.com',
};

function rejects(url: string, pattern: RegExp): void {
  assert.throws(
    () => validateProviderUrl(url),
    (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST' && pattern.test(e.message),
    url,
  );
}

tierSuite('unit', 'provider URLs and git hosts', () => {
  describe('validateProviderUrl', () => {
    it('accepts https anywhere and http on loopback, trimming trailing slashes', () => {
      assert.equal(validateProviderUrl('https://git.example.com/'), 'https://git.example.com');
      assert.equal(
        validateProviderUrl('https://git.example.com:8443/forgejo/'),
        'https://git.example.com:8443/forgejo',
      );
      for (const u of [
        'http://127.0.0.1:3000',
        'http://127.8.9.10',
        'http://[::1]:8080',
        'http://localhost:3000',
        'http://api.localhost',
      ]) {
        assert.equal(validateProviderUrl(u), u);
      }
    });

    it('refuses plain http off loopback', () => {
      for (const u of [
        'http://git.example.com',
        'http://10.0.0.1',
        'http://128.0.0.1',
        'http://[::2]',
        'http://localhost.example.com',
      ]) {
        rejects(u, /https/);
      }
    });

    it('refuses credentials, control characters, other schemes and junk', () => {
      rejects('https://user:pw@git.example.com', /user name or password/);
      rejects('https://token@git.example.com', /user name or password/);
      rejects('https://git.example.com/\r\nX-Injected: 1', /line breaks/);
      rejects('https://git.example.com/\n', /line breaks/);
      rejects('https://git.example.com/\0', /NUL/);
      rejects('ftp://git.example.com', /https/);
      rejects('file:///etc/passwd', /https/);
      rejects('not a url', /not a valid URL/);
      rejects('', /empty/);
      rejects('https://git.example.com/?token=x', /query/);
      rejects(`https://git.example.com/${'a'.repeat(3000)}`, /at most/);
    });

    it('knows loopback hosts', () => {
      assert.ok(isLoopbackHost('127.0.0.1'));
      assert.ok(isLoopbackHost('[::1]'));
      assert.ok(isLoopbackHost('LOCALHOST'));
      assert.ok(!isLoopbackHost('127.0.0.1.nip.io'));
      assert.ok(!isLoopbackHost('0.0.0.0'));
    });
  });

  describe('matchGitCredential', () => {
    const github = { provider: 'github', name: 'default', url: null, id: 'gh' };
    const gitlab = { provider: 'gitlab', name: 'default', url: null, id: 'gl' };
    const gitlabSelf = {
      provider: 'gitlab',
      name: 'work',
      url: 'https://gitlab.corp.example',
      id: 'gl-self',
    };
    const forgejo = {
      provider: 'forgejo',
      name: 'default',
      url: 'https://git.corp.example:3000',
      id: 'fj',
    };
    const forgejo2 = {
      provider: 'forgejo',
      name: 'home',
      url: 'https://git.home.example',
      id: 'fj2',
    };
    const tokens = [github, gitlab, gitlabSelf, forgejo, forgejo2];
    const match = (host: string, urls = DEFAULT_URLS, list = tokens) =>
      matchGitCredential(host, list, urls)?.id;

    it('github.com goes to the GitHub token, also with GHE configured', () => {
      assert.equal(match('github.com'), 'gh');
      assert.equal(match('GitHub.com'), 'gh');
      assert.equal(match('github.com', GHE_URLS), 'gh');
      assert.equal(match('api.github.com'), undefined);
    });

    it('the GitHub Enterprise host (from GITHUB_API_URL .../api/v3) goes to the GitHub token', () => {
      assert.equal(match('ghe.corp.example', GHE_URLS), 'gh');
      assert.equal(match('ghe.corp.example'), undefined);
      const loopback = {
        githubApiUrl: 'http://127.0.0.1:4567/api/v3',
        gitlabUrl: 'https://gitlab.com',
      };
      assert.equal(match('127.0.0.1:4567', loopback), 'gh');
      assert.equal(match('127.0.0.1', loopback), undefined);
    });

    it('gitlab.com and the GitLab URL host go to the GitLab tokens; a self-hosted token stays home', () => {
      assert.equal(match('gitlab.com'), 'gl');
      assert.equal(match('gitlab.corp.example'), 'gl-self');
      assert.equal(match('gitlab.com', DEFAULT_URLS, [gitlabSelf]), undefined);
      const selfHostedDefault = { ...DEFAULT_URLS, gitlabUrl: 'https://gitlab.internal.example' };
      assert.equal(match('gitlab.internal.example', selfHostedDefault), 'gl');
    });

    it('a Forgejo token matches its URL host with the port, and only that', () => {
      assert.equal(match('git.corp.example:3000'), 'fj');
      assert.equal(match('git.corp.example'), undefined);
      assert.equal(match('git.corp.example:3001'), undefined);
      assert.equal(match('git.home.example'), 'fj2');
      assert.equal(match('git.home.example:443'), 'fj2');
    });

    it('matches nothing for unknown or malformed hosts', () => {
      assert.equal(match('bitbucket.org'), undefined);
      assert.equal(match(''), undefined);
      assert.equal(match('github.com/evil'), undefined);
      assert.equal(match('user@github.com'), undefined);
      assert.equal(match('github.com.evil.example'), undefined);
    });

    it('prefers the token named default among equals', () => {
      const other = { provider: 'github', name: 'other', url: null, id: 'gh-other' };
      assert.equal(match('github.com', DEFAULT_URLS, [other, github]), 'gh');
      assert.equal(match('github.com', DEFAULT_URLS, [other]), 'gh-other');
    });

    it('names the host git uses for each token', () => {
      assert.equal(gitHostFor('github', null, DEFAULT_URLS), 'github.com');
      assert.equal(gitHostFor('github', null, GHE_URLS), 'ghe.corp.example');
      assert.equal(gitHostFor('gitlab', null, DEFAULT_URLS), 'gitlab.com');
      assert.equal(
        gitHostFor('gitlab', 'https://gitlab.corp.example/', DEFAULT_URLS),
        'gitlab.corp.example',
      );
      assert.equal(gitHostFor('forgejo', 'http://127.0.0.1:3000', DEFAULT_URLS), '127.0.0.1:3000');
    });

    it('gives the default git usernames', () => {
      assert.equal(defaultGitUsername('github'), 'x-access-token');
      assert.equal(defaultGitUsername('gitlab', 'alice'), 'oauth2');
      assert.equal(defaultGitUsername('forgejo', 'alice'), 'alice');
      assert.equal(defaultGitUsername('forgejo'), 'git');
    });
  });

  describe('parsing', () => {
    it('reads GitHub expiration headers in UTC and with offsets', () => {
      assert.equal(
        parseGithubExpiration('2026-12-31 23:59:59 UTC'),
        Date.UTC(2026, 11, 31, 23, 59, 59),
      );
      assert.equal(
        parseGithubExpiration('2026-12-31 15:59:59 -0800'),
        Date.UTC(2026, 11, 31, 23, 59, 59),
      );
      assert.equal(
        parseGithubExpiration('2026-12-31 15:59:59 +02:00'),
        Date.UTC(2026, 11, 31, 13, 59, 59),
      );
      assert.equal(parseGithubExpiration(null), undefined);
      assert.equal(parseGithubExpiration('soon'), undefined);
    });

    it('reads GitHub scopes and GitLab expiry dates', () => {
      assert.deepEqual(parseGithubScopes('repo, read:user,  gist'), ['repo', 'read:user', 'gist']);
      assert.deepEqual(parseGithubScopes(''), []);
      assert.equal(parseGithubScopes(null), undefined);
      assert.equal(parseGitlabExpiry('2027-03-01'), Date.UTC(2027, 2, 1));
      assert.equal(parseGitlabExpiry(null), null);
      assert.equal(parseGitlabExpiry('never'), undefined);
    });

    it('identifies public keys by type and blob only', () => {
      assert.equal(
        publicKeyIdentity('ssh-ed25519 AAAAC3Nz a comment here'),
        'ssh-ed25519 AAAAC3Nz',
      );
      assert.equal(
        publicKeyIdentity('  ecdsa-sha2-nistp256 AAAAE2Vj==  '),
        'ecdsa-sha2-nistp256 AAAAE2Vj==',
      );
      assert.equal(publicKeyIdentity('ssh-ed25519'), undefined);
      assert.equal(publicKeyIdentity('hello AAAA'), undefined);
    });
  });
});
