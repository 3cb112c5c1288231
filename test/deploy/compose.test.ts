// The deployment recipe read as an operator's tools would read it: docker-compose.yml parsed with
// `yaml`, the Dockerfile parsed into stages. Checks what the operator relies on: healthchecks and
// start order, no secret in the files, the socket proxy's narrow API, loopback-only ports.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { tierSuite } from '../support/tiers';
import { copiesOf, envOf, execForm, readDockerfile, type Stage } from './dockerfile';

const ROOT = path.join(__dirname, '..', '..');

type Yaml = Record<string, unknown>;
const obj = (v: unknown, what: string): Yaml => {
  assert.ok(v && typeof v === 'object' && !Array.isArray(v), `${what} must be a mapping`);
  return v as Yaml;
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Environment of a service as a map, from either the mapping or the `KEY=value` list form. */
function environment(service: Yaml): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const s = String(e);
        const i = s.indexOf('=');
        return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Every string value in a YAML tree, with its path. */
function* strings(node: unknown, at = ''): Generator<[string, string]> {
  if (typeof node === 'string') yield [at, node];
  else if (Array.isArray(node))
    for (const [i, v] of node.entries()) yield* strings(v, `${at}[${i}]`);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) yield* strings(v, at ? `${at}.${k}` : k);
  }
}

/** A compose variable reference alone, such as `${MYSQL_PASSWORD:?set it}`. */
const VAR_REF = /^\$\{[A-Z][A-Z0-9_]*(?:(?::?[-?])[^}]*)?\}$/;

// Engine API sections the tecnativa socket proxy gates, and which injection needs.
const PROXY_SECTIONS = [
  'AUTH',
  'BUILD',
  'COMMIT',
  'CONFIGS',
  'CONTAINERS',
  'DISTRIBUTION',
  'EVENTS',
  'EXEC',
  'GRPC',
  'IMAGES',
  'INFO',
  'NETWORKS',
  'NODES',
  'PING',
  'PLUGINS',
  'POST',
  'SECRETS',
  'SERVICES',
  'SESSION',
  'SWARM',
  'SYSTEM',
  'TASKS',
  'VERSION',
  'VOLUMES',
  'ALLOW_START',
  'ALLOW_STOP',
  'ALLOW_RESTARTS',
];
const NEEDED = ['CONTAINERS', 'EXEC', 'EVENTS', 'POST'];
// Read-only and harmless: the engine's liveness and version, which /readyz and doctor report.
const TOLERATED = ['PING', 'VERSION'];
// The proxy's own defaults when a variable is absent.
const DEFAULT_ON = ['EVENTS', 'PING', 'VERSION'];

tierSuite('unit', 'deploy: docker-compose.yml', function () {
  const compose = obj(
    parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')),
    'compose',
  );
  const services = obj(compose.services, 'services');
  const svc = (name: string) => obj(services[name], `service ${name}`);

  it('has the database, the credential service, the socket proxy and an example workspace', function () {
    assert.deepEqual(Object.keys(services).sort(), [
      'credentials',
      'db',
      'docker-proxy',
      'workspace',
    ]);
    assert.match(String(svc('db').image), /^mysql:8(\.|$)/);
  });

  it('keeps MySQL in a named volume, with a healthcheck the service waits for', function () {
    const db = svc('db');
    const volumes = list(db.volumes).map(String);
    const mount = volumes.find((v) => v.endsWith(':/var/lib/mysql'));
    assert.ok(mount, 'the data directory must be a volume');
    const volumeName = mount.split(':')[0] ?? '';
    assert.match(volumeName, /^[a-z][\w-]*$/, 'a named volume, not a host path');
    assert.ok(volumeName in obj(compose.volumes, 'volumes'), 'the volume must be declared');
    const test = list(obj(db.healthcheck, 'db.healthcheck').test).map(String);
    assert.equal(test[0], 'CMD-SHELL');
    assert.match(test[1] ?? '', /mysql .*SELECT 1/, 'healthy only when the app user can query');
    const dependsOn = obj(svc('credentials').depends_on, 'credentials.depends_on');
    assert.equal(obj(dependsOn.db, 'depends_on.db').condition, 'service_healthy');
  });

  it('builds the service from the Dockerfile and gives it the master key as a Docker secret', function () {
    const credentials = svc('credentials');
    assert.equal(obj(credentials.build, 'build').dockerfile, 'Dockerfile');
    const env = environment(credentials);
    assert.ok(!('CREDENTIAL_ENCRYPTION_KEY' in env), 'never the key itself in the compose file');
    const keyFile = env.CREDENTIAL_ENCRYPTION_KEY_FILE ?? '';
    assert.match(keyFile, /^\/run\/secrets\/\w+$/);
    const secretName = path.basename(keyFile);
    assert.ok(list(credentials.secrets).map(String).includes(secretName));
    const secret = obj(obj(compose.secrets, 'secrets')[secretName], `secret ${secretName}`);
    assert.equal(typeof secret.file, 'string', 'a file secret, kept out of git');
    assert.equal(env.CREDENTIAL_HOST, '0.0.0.0');
    assert.match(
      env.CREDENTIAL_DATABASE_URL ?? '',
      /^mysql:\/\/\w+:\$\{[A-Z_]+[^}]*\}@db:3306\/\w+$/,
    );
  });

  it('holds no secret values: no 64-hex strings, passwords only as ${VAR} references', function () {
    for (const [at, value] of strings(compose)) {
      assert.doesNotMatch(value, /[0-9a-f]{64}/i, `${at} looks like a key`);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(environment(obj(service, name)))) {
        // `SECRETS: 0` is a socket-proxy switch, not a value.
        if (/PASSWORD|SECRET|TOKEN|(^|_)KEY$/.test(key) && !/^[01]?$/.test(value)) {
          assert.match(value, VAR_REF, `${name}.${key} must be a \${VAR} reference`);
        }
        for (const m of value.matchAll(/\/\/[^:/@]+:([^@]+)@/g)) {
          assert.match(m[1] ?? '', VAR_REF, `${name}.${key}: password in a URL`);
        }
      }
    }
  });

  it('lets the socket proxy allow only what injection needs', function () {
    const proxy = svc('docker-proxy');
    assert.match(String(proxy.image), /^tecnativa\/docker-socket-proxy:/);
    const env = environment(proxy);
    const on = PROXY_SECTIONS.filter((s) =>
      s in env ? ['1', 'true', 'yes'].includes(env[s]!.toLowerCase()) : DEFAULT_ON.includes(s),
    );
    for (const s of NEEDED) assert.ok(on.includes(s), `${s} must be allowed`);
    const extra = on.filter((s) => !NEEDED.includes(s) && !TOLERATED.includes(s));
    assert.deepEqual(extra, [], 'sections injection does not need must stay closed');
    assert.ok(
      list(proxy.volumes).map(String).includes('/var/run/docker.sock:/var/run/docker.sock:ro'),
      'the proxy mounts the socket read-only',
    );
    assert.equal(proxy.ports, undefined, 'the proxy is never published');
    assert.equal(environment(svc('credentials')).DOCKER_HOST, 'tcp://docker-proxy:2375');
  });

  it('mounts the Docker socket into no service but the proxy', function () {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'docker-proxy') continue;
      for (const v of list(obj(service, name).volumes)) {
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        assert.doesNotMatch(text, /docker\.sock/, `${name} must not mount the Docker socket`);
      }
    }
  });

  it('publishes ports on 127.0.0.1 only, and never the database', function () {
    assert.equal(svc('db').ports, undefined);
    let published = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const p of list(obj(service, name).ports)) {
        published++;
        const hostIp = typeof p === 'string' ? p.split(':')[0] : obj(p, 'port').host_ip;
        assert.equal(hostIp, '127.0.0.1', `${name} publishes ${JSON.stringify(p)}`);
        if (typeof p === 'string')
          assert.equal(p.split(':').length, 3, `${name}: ip:host:container`);
      }
    }
    assert.ok(published >= 1, 'the service itself is published (on loopback)');
  });

  it('puts the database and the proxy on an internal network of their own', function () {
    const networks = obj(compose.networks, 'networks');
    for (const name of ['db', 'docker-proxy']) {
      const nets = list(svc(name).networks).map(String);
      assert.ok(nets.length > 0, `${name} needs a dedicated network`);
      for (const n of nets) assert.equal(obj(networks[n], n).internal, true, `${name} on ${n}`);
    }
  });

  it('labels the example workspace with its owner, and builds it with the extension', function () {
    const workspace = svc('workspace');
    const labels = obj(workspace.labels, 'workspace.labels');
    assert.ok('xaresaicoder.owner' in labels);
    assert.equal(labels['xaresaicoder.user'], 'coder');
    const dockerfile = String(obj(workspace.build, 'build').dockerfile);
    const text = readFileSync(path.join(ROOT, dockerfile), 'utf8');
    assert.match(text, /code-server --install-extension \S+\.vsix/);
  });

  it('ships .env.example with empty passwords and keeps secrets out of the build context', function () {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    assert.doesNotMatch(example, /[0-9a-f]{64}/i);
    for (const line of example.split('\n').filter((l) => /^\w*PASSWORD=/.test(l))) {
      assert.match(line, /^\w+=$/, `${line} must be empty in the example`);
    }
    // Every ${VAR} the compose file reads is documented in the example.
    const referenced = new Set(
      [
        ...readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z_]+)/g),
      ].map((m) => m[1]),
    );
    for (const v of referenced)
      assert.match(example, new RegExp(`^${v}=`, 'm'), `${v} in .env.example`);
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['.env', 'node_modules', 'deploy/secrets', 'data', '.git']) {
      assert.ok(ignore.includes(p), `.dockerignore must list ${p}`);
    }
  });
});

tierSuite('unit', 'deploy: the image tags the recipe was written for', function () {
  const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  const compose = obj(parse(composeText), 'compose');
  const services = Object.values(obj(compose.services, 'services')).map((v) => obj(v, 'service'));
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const firstRun = readme.slice(
    readme.indexOf('### First run with Docker Compose'),
    readme.indexOf('### Checking an installation'),
  );
  // Images pulled from a registry: those of services compose does not build, and every stage
  // base of the Dockerfiles compose builds (stage names like `vsix` are not images).
  const pulled = new Set<string>();
  for (const service of services) {
    if (service.build) {
      const build = obj(service.build, 'build');
      const stages = readDockerfile(
        path.join(ROOT, String(build.context), String(build.dockerfile)),
      );
      const names = new Set(stages.map((st) => st.name));
      for (const stage of stages) if (!names.has(stage.base)) pulled.add(stage.base);
    } else {
      pulled.add(String(service.image));
    }
  }

  it('pins every pulled image to a tag', function () {
    assert.ok(pulled.has('mysql:8.4'), [...pulled].join(', '));
    for (const image of pulled) {
      assert.match(image, /^[\w./-]+:[\w.-]+$/, `${image} has no tag`);
      assert.doesNotMatch(image, /:latest$/, `${image} floats`);
    }
  });

  it("names each of them in docker-compose.yml and in the README's compose section", function () {
    const header = composeText.slice(0, composeText.indexOf('\nname:'));
    for (const image of pulled) {
      assert.ok(header.includes(image), `docker-compose.yml's header does not name ${image}`);
      assert.ok(firstRun.includes(`\`${image}\``), `README, First run, does not name ${image}`);
    }
  });
});

tierSuite('unit', 'deploy: Dockerfile', function () {
  const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
  const runtime = stages[stages.length - 1] as Stage;
  const instr = (stage: Stage, keyword: string) =>
    stage.instructions.filter((i) => i.keyword === keyword);

  it('runs on a slim Node 24 (LTS) base as a non-root user', function () {
    assert.ok(stages.length >= 2, 'multi-stage');
    assert.match(runtime.base, /^node:24[\w.-]*-slim$/);
    // Every stage builds on the same Node line: native modules are compiled for the runtime's.
    for (const stage of stages) assert.match(stage.base, /^node:24-bookworm(-slim)?$/);
    const users = instr(runtime, 'USER');
    const user = users[users.length - 1]?.args;
    assert.ok(user, 'a USER instruction');
    assert.ok(!['root', '0', '0:0'].includes(user), `runs as ${user}`);
    const userAt = runtime.instructions.findIndex((i) => i.keyword === 'USER');
    assert.ok(
      runtime.instructions.slice(userAt).every((i) => i.keyword !== 'RUN'),
      'the switch to the unprivileged user comes after every RUN',
    );
  });

  it('builds with full dependencies and installs production ones with npm ci --omit=dev', function () {
    const runs = stages.flatMap((s) => instr(s, 'RUN').map((i) => i.args));
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)));
    assert.ok(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)));
    const copied = copiesOf(runtime);
    assert.ok(copied.some((c) => c.sources.some((s) => s.endsWith('/dist/service'))));
    assert.ok(copied.some((c) => c.sources.some((s) => s.endsWith('/bin'))));
    const nodeModules = copied.find((c) => c.sources.some((s) => s.endsWith('/node_modules')));
    const from = stages.find((s) => s.name === nodeModules?.from);
    assert.ok(
      from && instr(from, 'RUN').some((i) => /npm ci\b.*--omit=dev/.test(i.args)),
      'the runtime node_modules come from npm ci --omit=dev',
    );
    // Every file copied from the build context exists.
    for (const c of copied.filter((x) => !x.from)) {
      for (const s of c.sources) assert.ok(existsSync(path.join(ROOT, s)), `COPY ${s}`);
    }
  });

  it('checks /readyz for health and serves on all interfaces of the container', function () {
    const health = instr(runtime, 'HEALTHCHECK');
    assert.equal(health.length, 1);
    const cmd = execForm(health[0]!.args);
    assert.ok(cmd.includes('/readyz'), `HEALTHCHECK ${cmd.join(' ')}`);
    assert.match(health[0]!.args, /--timeout=\d+s/);
    const script = cmd.find((c) => c.endsWith('.cjs'));
    assert.ok(
      script && existsSync(path.join(ROOT, script)),
      'the health probe script is in the repo',
    );
    assert.deepEqual(execForm(instr(runtime, 'CMD')[0]?.args ?? ''), [
      'node',
      'bin/xares-credentials.js',
      'serve',
    ]);
    assert.equal(envOf(runtime).CREDENTIAL_HOST, '0.0.0.0');
  });
});
