// CREDENTIAL_DOCKER_HOSTS as the configuration reads it: the default from DOCKER_HOST (and
// Docker's own TLS variables), the tls= syntax, and refusals a person understands.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../service/config';
import { hostsDown } from '../../service/workspaces/hosts';
import { tierSuite } from '../support/tiers';

tierSuite('unit', 'config: CREDENTIAL_DOCKER_HOSTS', () => {
  it('defaults to DOCKER_HOST, else the local socket', () => {
    assert.deepEqual(loadConfig({}).dockerHosts, [
      { name: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' },
    ]);
    assert.deepEqual(loadConfig({ DOCKER_HOST: 'tcp://docker-proxy:2375' }).dockerHosts, [
      { name: 'tcp://docker-proxy:2375', host: 'docker-proxy', port: 2375, tls: false },
    ]);
    // Docker's own variables for TLS apply to DOCKER_HOST, as the docker CLI reads them.
    assert.deepEqual(
      loadConfig({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' })
        .dockerHosts,
      [{ name: 'tcp://h:2376', host: 'h', port: 2376, tls: true, tlsDir: '/c' }],
    );
  });

  it('reads a list of unix sockets and tcp engines with tls=', () => {
    const c = loadConfig({
      DOCKER_HOST: 'unix:///ignored.sock',
      CREDENTIAL_DOCKER_HOSTS:
        ' unix:///var/run/docker.sock , tcp://10.0.0.2?tls=/etc/xares/docker-b,tcp://[fd00::3]:2375,',
    });
    assert.deepEqual(c.dockerHosts, [
      { name: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' },
      {
        name: 'tcp://10.0.0.2:2376',
        host: '10.0.0.2',
        port: 2376,
        tls: true,
        tlsDir: '/etc/xares/docker-b',
      },
      { name: 'tcp://[fd00::3]:2375', host: 'fd00::3', port: 2375, tls: false },
    ]);
  });

  it('refuses what it cannot use, naming the entry', () => {
    const refuses = (value: string, pattern: RegExp) =>
      assert.throws(
        () => loadConfig({ CREDENTIAL_DOCKER_HOSTS: value }),
        (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
        value,
      );
    refuses('ssh://user@h', /ssh:\/\/user@h.*use unix:/);
    refuses('docker.example', /not an address/);
    refuses('tcp://h:2376?tls=certs', /absolute directory/);
    refuses('tcp://h:2376?tlsverify=0', /unknown option tlsverify/);
    refuses('unix:///a.sock,unix:///a.sock', /names unix:\/\/\/a.sock twice/);
    refuses(' , ', /names no Docker host/);
  });

  it('says which host is down, without the certificate directory', () => {
    const e = hostsDown(['tcp://10.0.0.2:2376']);
    assert.equal(e.code, 'SERVICE_UNAVAILABLE');
    assert.match(e.message, /The Docker host tcp:\/\/10\.0\.0\.2:2376 is not reachable/);
  });
});
