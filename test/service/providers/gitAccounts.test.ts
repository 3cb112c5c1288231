// Several git accounts on one host: which token answers a repository path (the longest matching
// path prefix, then `default`), which hosts need git to send the path, and the paths an attacker
// would try to slip past a prefix.
import assert from 'node:assert/strict';
import {
  hostsNeedingPath,
  matchGitCredential,
  repositorySegments,
} from '../../../service/providers';
import { PathPrefixSchema } from '../../../service/api/tokens';
import { tierSuite } from '../../support/tiers';

const URLS = { githubApiUrl: 'https://api.github.com', gitlabUrl: 'https://gitlab.com' };

tierSuite('unit', 'git accounts by path prefix', () => {
  const personal = { provider: 'github', name: 'default', url: null, path_prefix: null, id: 'me' };
  const work = { provider: 'github', name: 'work', url: null, path_prefix: 'acme', id: 'acme' };
  const team = {
    provider: 'github',
    name: 'team',
    url: null,
    path_prefix: 'acme/platform',
    id: 'team',
  };
  const all = [personal, work, team];
  const match = (path: string | undefined, tokens = all) =>
    matchGitCredential('github.com', tokens, URLS, 'https', path)?.id;

  it('the longest matching prefix wins, else the token without one', () => {
    assert.equal(match('acme/tools.git'), 'acme');
    assert.equal(match('ACME/Tools.git'), 'acme');
    assert.equal(match('acme/platform/api.git'), 'team');
    assert.equal(match('acme'), 'acme');
    assert.equal(match('me/dotfiles.git'), 'me');
    // a prefix is whole segments: acme-corp is not acme
    assert.equal(match('acme-corp/x.git'), 'me');
    assert.equal(match('acme%2Fx.git'), 'acme'); // git escapes nothing here, but a client may
  });

  it('without a path only a token without a prefix answers', () => {
    assert.equal(match(undefined), 'me');
    assert.equal(match(undefined, [work, team]), undefined);
    assert.equal(match('other/repo.git', [work, team]), undefined);
  });

  it('refuses paths that a server could read as another repository', () => {
    for (const path of [
      'acme/../victim/repo.git',
      'acme/%2e%2e/victim/repo.git',
      'acme//x.git',
      'acme/./x.git',
      'acme%5c..%5cvictim',
      'acme/%zz',
    ]) {
      assert.equal(repositorySegments(path), undefined, path);
      assert.equal(match(path, [work]), undefined, path);
    }
  });

  it('names the URLs where git must send the path', () => {
    assert.deepEqual(hostsNeedingPath([personal], URLS), []);
    assert.deepEqual(hostsNeedingPath([personal, work], URLS), ['https://github.com']);
    assert.deepEqual(hostsNeedingPath([work], URLS), ['https://github.com']);
    const fj = (name: string, url: string, path_prefix: string | null = null) => ({
      provider: 'forgejo',
      name,
      url,
      path_prefix,
    });
    assert.deepEqual(
      hostsNeedingPath([fj('a', 'http://127.0.0.1:3000'), fj('b', 'http://127.0.0.1:3000/')], URLS),
      ['http://127.0.0.1:3000'],
    );
    assert.deepEqual(
      hostsNeedingPath([fj('a', 'http://127.0.0.1:3000'), fj('b', 'https://codeberg.org')], URLS),
      [],
    );
  });

  it('pathPrefix input: owner segments only', () => {
    for (const ok of ['acme', 'acme/platform', 'a.b_c-d']) {
      assert.ok(PathPrefixSchema.safeParse(ok).success, ok);
    }
    for (const bad of ['', '/acme', 'acme/', 'acme//x', '..', 'acme/..', 'a b', 'acme\nx', 'é']) {
      assert.ok(!PathPrefixSchema.safeParse(bad).success, JSON.stringify(bad));
    }
  });
});
