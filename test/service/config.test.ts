import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../service/config';
import { tierSuite } from '../support/tiers';

tierSuite('unit', 'config', () => {
  it('applies the contract defaults to an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 7300);
    assert.equal(c.databaseUrl, 'sqlite:./data/credentials.db');
    assert.equal(c.sessionTimeoutSeconds, 7200);
    assert.equal(c.auditRetentionDays, 90);
    assert.equal(c.providers.githubApiUrl, 'https://api.github.com');
    assert.equal(c.providers.openaiBaseUrl, 'https://api.openai.com/v1');
    assert.equal(c.tls, undefined);
  });

  it('reads variables and trims trailing slashes from base URLs', () => {
    const c = loadConfig({
      CREDENTIAL_PORT: '8123',
      GITHUB_API_URL: 'http://127.0.0.1:9999/api/v3/',
      CREDENTIAL_SESSION_TIMEOUT: '60',
    });
    assert.equal(c.port, 8123);
    assert.equal(c.providers.githubApiUrl, 'http://127.0.0.1:9999/api/v3');
    assert.equal(c.sessionTimeoutSeconds, 60);
  });

  it('refuses bad values with a message naming the variable', () => {
    assert.throws(
      () => loadConfig({ CREDENTIAL_PORT: 'eighty' }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /CREDENTIAL_PORT/);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ CREDENTIAL_DATABASE_URL: 'postgres://x' }),
      /sqlite: or mysql/,
    );
    assert.throws(() => loadConfig({ CREDENTIAL_TLS_CERT: '/c.pem' }), /set together/);
  });
});
