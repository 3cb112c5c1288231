// Property-based fuzzing of the whole HTTP surface (issue #16): every tRPC procedure (single calls
// and batches, the right and the wrong method, with and without a session), every REST route of
// the OpenAPI document, and raw junk bodies. Whatever arrives, the service answers below 500,
// every 4xx carries a message a person can read (no stack, no SQL, no file path), and no answer
// and no log line holds a secret planted as a canary. The procedure list is read from the router
// and the REST routes from /api/openapi.json, so a new procedure or route is fuzzed without
// editing this file.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import sshpk from 'sshpk';
import { appRouter } from '../../../service/routers/_app';
import { forEachServiceDialect, type TestResponse } from '../../support/service';

/** Inputs per dialect: the sqlite tier runs the full 10,000; MariaDB a share of it. */
const RUNS = { sqlite: 10_000, mysql: 2_000 } as const;

const CANARY_GIT = 'ghp_FUZZCANARYgit0123456789abcdefABCDEF';
const CANARY_AI = 'sk-FUZZCANARYai0123456789abcdefABCDEFxyz';
const CANARY_PASSWORD = 'fuzz-canary-password-42';

/** Procedures the fuzzer must not call with random input: they end the fixture's own session. */
const SPARED = new Set(['auth.logout', 'credentials.clearAll']);

interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
}

function procedures(): ProcedureInfo[] {
  // At run time tRPC keeps a flat record of dotted paths (its type describes the nested one).
  const record = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  return Object.entries(record)
    .map(([path, p]) => ({ path, type: p._def.type as ProcedureInfo['type'] }))
    .filter((p) => p.type !== 'subscription' && !SPARED.has(p.path));
}

// ---- arbitraries ------------------------------------------------------------------------------

const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\r\nb',
    '../../etc/passwd',
    '%2e%2e%2f',
    '%',
    '%zz',
    'ssh-ed25519 AAAA',
    '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----',
    'http://169.254.169.254/latest',
    'https://[::1]:99999/',
    'default',
    'github',
    'openai',
    'custom',
    'git_token',
    'ai_token',
    '1970-01-01',
    '9999-12-31T23:59:59Z',
    'NaN',
    '\u202e\ufeff\ud800',
    'x'.repeat(5000),
  ),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -1,
    -0,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    1e308,
    -1e308,
    2 ** 53 + 1,
    1001,
  ),
);

/** Field names the procedures take, so generated objects often reach past the first check. */
const FIELD_NAMES = [
  'id',
  'name',
  'provider',
  'type',
  'token',
  'username',
  'password',
  'url',
  'envVar',
  'pathPrefix',
  'workspaceId',
  'limit',
  'before',
  'action',
  'format',
  'since',
  'protocol',
  'host',
  'path',
  'privateKey',
  'passphrase',
  'comment',
  'replace',
  'usage',
  'flowId',
  'autoInject',
  'auditLogging',
  'clearOnSessionTimeout',
  'aiKeyDelivery',
  'commitSigning',
  '__proto__',
  'constructor',
];

const leaf = fc.oneof(
  nastyString,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.uuid(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

const junk: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string()), tie('value'), {
    maxKeys: 6,
  }),
})).value;

/** Mostly objects with the real field names; sometimes anything at all. */
const input = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_NAMES), leaf, { maxKeys: 5 }) },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

type Auth = 'user' | 'admin' | 'none' | 'garbage';
const auth = fc.constantFrom<Auth>('user', 'user', 'user', 'admin', 'none', 'garbage');

/** encodeURIComponent, but a lone surrogate (which it refuses) is sent as a raw %-escape. */
function encodeLoose(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text]
      .map((ch) => {
        try {
          return encodeURIComponent(ch);
        } catch {
          return '%ED%A0%80';
        }
      })
      .join('');
  }
}

// ---- checks -----------------------------------------------------------------------------------

const SECRETS = [CANARY_GIT, CANARY_AI, CANARY_PASSWORD];
let privateKeyBody = '';

function assertNoSecret(text: string, what: string): void {
  for (const s of [...SECRETS, privateKeyBody].filter(Boolean)) {
    assert.ok(!text.includes(s), `${what}: an answer holds a planted secret`);
  }
}

const STACK_OR_SQL =
  /\bat [\w.<>]+ \(|\.ts:\d+|node_modules|\bselect\s+\S+\s+from\s|\binsert into\b|\bwhere\s+`/i;
/** Driver error codes (MySQL's ER_…, SQLite's SQLITE_…), upper case as the drivers write them. */
const DRIVER_CODE = /\bER_[A-Z_]{3,}|\bSQLITE_[A-Z]/;

/** The human-readable messages of an error answer (tRPC single, tRPC batch, or REST). */
function messagesOf(body: unknown): string[] {
  const one = (b: unknown): string[] => {
    if (!b || typeof b !== 'object') return [];
    const o = b as { error?: { message?: unknown }; message?: unknown; result?: unknown };
    if (o.error && typeof o.error === 'object') return [String(o.error.message ?? '')];
    if (typeof o.message === 'string') return [o.message];
    return o.result !== undefined ? [] : [''];
  };
  return Array.isArray(body) ? body.flatMap(one) : one(body);
}

function check(res: TestResponse, whatInFull: string): void {
  const what = whatInFull.length > 300 ? `${whatInFull.slice(0, 300)}…` : whatInFull;
  assert.ok(res.status < 500, `${what}: answered ${res.status}: ${res.text.slice(0, 300)}`);
  assertNoSecret(res.text, what);
  assert.doesNotMatch(
    res.text,
    STACK_OR_SQL,
    `${what}: a stack or SQL in ${res.text.slice(0, 500)}`,
  );
  assert.doesNotMatch(
    res.text,
    DRIVER_CODE,
    `${what}: a driver error in ${res.text.slice(0, 500)}`,
  );
  if (res.status >= 400) {
    const messages = messagesOf(res.body);
    assert.ok(
      messages.length > 0,
      `${what}: ${res.status} without a JSON error: ${res.text.slice(0, 300)}`,
    );
    for (const m of messages) {
      assert.ok(
        m.trim().length >= 3 && m.length <= 2000,
        `${what}: ${res.status} without a readable message: ${res.text.slice(0, 300)}`,
      );
      assert.notEqual(m, 'internal error', `${what}: an internal error was answered`);
    }
  }
}

// ---- the suites --------------------------------------------------------------------------------

forEachServiceDialect('fuzzing every procedure and route', (ctx) => {
  const tokens: Record<Auth, string | undefined> = {
    user: undefined,
    admin: undefined,
    none: undefined,
    garbage: 'x'.repeat(64),
  };
  let runs: number = RUNS.sqlite;
  let restRoutes: Array<{ method: string; path: string }> = [];

  before(async function () {
    this.timeout(60_000);
    const { svc } = ctx();
    runs = RUNS[svc.dialect];
    await svc.createUser('fuzz', CANARY_PASSWORD);
    await svc.createUser('fuzzadmin', CANARY_PASSWORD + '-admin', 'admin');
    tokens.user = await svc.login('fuzz', CANARY_PASSWORD);
    tokens.admin = await svc.login('fuzzadmin', CANARY_PASSWORD + '-admin');
    const api = svc.trpc(tokens.user);
    await api.tokens.create.mutate({ type: 'git_token', provider: 'github', token: CANARY_GIT });
    await api.tokens.create.mutate({ type: 'ai_token', provider: 'openai', token: CANARY_AI });
    // An imported key whose private part we know, to look for it in every answer.
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const openssh = sshpk.parsePrivateKey(pem, 'pem').toString('ssh-private');
    privateKeyBody = openssh.split('\n')[2] ?? '';
    await api.sshKeys.import.mutate({ privateKey: openssh });
    const doc = (await svc.request('GET', '/api/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    restRoutes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path: `/api/credentials${p}` })),
    );
    assert.ok(restRoutes.length >= 10, 'the OpenAPI document lists the REST routes');
  });

  const call = (method: string, path: string, who: Auth, body?: string): Promise<TestResponse> =>
    ctx().svc.request(method, path, {
      token: tokens[who],
      ...(body !== undefined ? { rawBody: body } : {}),
    });

  const encodeInput = (value: unknown) =>
    value === undefined ? '' : `?input=${encodeLoose(JSON.stringify(value))}`;

  it('single procedure calls, right and wrong method, answer 4xx with words or succeed', async function () {
    this.timeout(600_000);
    const procs = procedures();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...procs),
        input,
        auth,
        fc.boolean(),
        async (proc, value, who, wrongMethod) => {
          const asQuery = (proc.type === 'query') !== wrongMethod;
          const res = asQuery
            ? await call('GET', `/trpc/${proc.path}${encodeInput(value)}`, who)
            : await call('POST', `/trpc/${proc.path}`, who, JSON.stringify(value ?? null));
          check(res, `${asQuery ? 'GET' : 'POST'} ${proc.path} ${JSON.stringify(value)}`);
        },
      ),
      { numRuns: Math.round(runs * 0.55), endOnFailure: true },
    );
  });

  it('batches of any shape and size answer 4xx with words or succeed', async function () {
    this.timeout(600_000);
    const procs = procedures();
    const batch = fc.record({
      calls: fc.array(fc.constantFrom(...procs), { minLength: 1, maxLength: 30 }),
      inputs: fc.oneof(
        fc.array(input, { maxLength: 30 }),
        junk.map((j) => [j]),
      ),
      asArray: fc.boolean(),
      get: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(batch, auth, async ({ calls, inputs, asArray, get }, who) => {
        const paths = calls.map((c) => c.path).join(',');
        const payload = asArray ? inputs : Object.fromEntries(inputs.map((v, i) => [String(i), v]));
        const res = get
          ? await call(
              'GET',
              `/trpc/${paths}?batch=1&input=${encodeLoose(JSON.stringify(payload))}`,
              who,
            )
          : await call('POST', `/trpc/${paths}?batch=1`, who, JSON.stringify(payload));
        check(res, `batch ${get ? 'GET' : 'POST'} ${paths}`);
      }),
      { numRuns: Math.round(runs * 0.15), endOnFailure: true },
    );
  });

  it('every REST route with junk in its path, query and body', async function () {
    this.timeout(600_000);
    const segment = fc.oneof(
      fc.uuid(),
      nastyString.map((s) => encodeLoose(s)),
      fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2F', 'default', 'github'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...restRoutes),
        segment,
        fc.option(junk, { nil: undefined }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.boolean(),
        auth,
        async (route, seg, body, otherMethod, useOther, who) => {
          const path = route.path.replace(/\{[^}]+\}/g, seg);
          const method = useOther ? otherMethod : route.method;
          const raw = body === undefined || method === 'GET' ? undefined : JSON.stringify(body);
          const res = await call(method, path, who, raw);
          check(res, `${method} ${path}`);
        },
      ),
      { numRuns: Math.round(runs * 0.2), endOnFailure: true },
    );
  });

  it('raw bodies that are not JSON, wrong content types and odd paths', async function () {
    this.timeout(600_000);
    const procs = procedures();
    const rawBody = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom('{', '[', 'null', '"', '{"0":', '\u0000', '{"json":{}}', '1e99999'),
    );
    const path = fc.oneof(
      fc.constantFrom(...procs).map((p) => `/trpc/${p.path}`),
      nastyString.map((s) => `/trpc/${encodeLoose(s)}`),
      fc.constantFrom(
        '/trpc/',
        '/trpc/%',
        '/trpc/a%zz',
        '/api/credentials/%',
        '/api/credentials/tokens/%E0',
      ),
    );
    await fc.assert(
      fc.asyncProperty(path, rawBody, auth, async (p, body, who) => {
        const res = await call('POST', p, who, body);
        check(res, `POST ${p} raw`);
      }),
      { numRuns: Math.round(runs * 0.1), endOnFailure: true },
    );
  });

  it('still answers health and the user’s own list after the fuzzing, and logged no secret', async () => {
    assertNoSecret(ctx().svc.logs(), 'log');
    const health = await ctx().svc.request('GET', '/healthz');
    assert.equal(health.status, 200);
    const list = await ctx().svc.trpc(tokens.user).tokens.list.query({});
    assert.ok(list.length >= 2);
  });
});
