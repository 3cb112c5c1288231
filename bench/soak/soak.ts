// The soak (issue #16): 64 concurrent clients mixing every kind of call against the service while
// faults are injected on a schedule, bounded in time, loopback only, stopping by itself.
//
//   npm run soak                         both set-ups, about 3 minutes each
//   npm run soak -- --only sqlite        the embedded default: one process on SQLite
//   npm run soak -- --only galera        two replicas on a three-node MariaDB Galera cluster
//   XARES_SOAK_SECONDS=60 npm run soak   shorter
//
// Galera: nodes on 127.0.0.1:3311-3313 (scripts/galera.sh), replica A on node 1 and replica B on
// node 2. Workspaces run on a Docker engine of the soak's own (/tmp/xares-soak-docker), so that
// restarting it disturbs nothing else on the machine. Faults, in order: a Galera node killed and
// restarted (galera only), the Docker engine restarted, a replica killed with SIGKILL and started
// again, the provider fakes stalling for 15 s.
//
// Every fault runs, even when an earlier one healed late; the clients run until the deadline and
// at least 15 s after the last fault ended. The clients' retry policy is in clients.ts.
//
// Printed: the machine (cores, load average) at the start and the end; per call kind the count,
// p50/p95/p99 of the calls that succeeded (retries included) and the errors; per fault how long
// it lasted, the calls that failed from its start to the next fault's, and the recovery: from
// the end of the fault (a restart done, a stall lifted) to the start of the last call that still
// failed (0 when none did; goal <= 5 s); the failures grouped by class; the last line
// `N requests, N errors, N lost`. The exit code is non-zero unless errors and lost are 0. Lost:
// a credential whose create was acknowledged (and not deleted) that is missing at the end, whose
// acknowledged fields differ, or whose secret no longer decrypts to the value that was sent.
// Each replica's log is kept in $TMPDIR/xares-soak-logs/ to explain any 5xx.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { loadConfig } from '../../service/config';
import { MasterKey } from '../../service/crypto/masterKey';
import { openConfiguredStoreWithKey } from '../../service/bootstrap';
import { findCredentialForUser } from '../../service/store/credentials';
import { revealSecret } from '../../service/crypto/secrets';
import { createUser } from '../../service/accounts/users';
import { startFakeProviders } from '../../test/support/fakeProviders';
import { type Acknowledged, Client, Stats } from './clients';
import { createWorkspace, freePort, Galera, Replica, ROOT, sleep, SoakEngine } from './parts';

const SECONDS = Number(process.env.XARES_SOAK_SECONDS ?? 180);
const CLIENTS = 64;
const USERS = 16;
const IMAGE = process.env.XARES_TEST_IMAGE ?? 'xares-workspace-test:1';
const RECOVERY_GOAL_MS = 5_000;
/** Clients keep running at least this long after the last fault ended, to show recovery. */
const AFTER_LAST_FAULT_MS = 15_000;
/** Where each replica's log goes (kept after the run, to explain any 5xx). */
const LOG_DIR = path.join(os.tmpdir(), 'xares-soak-logs');

type Mode = 'galera' | 'sqlite';

interface Fault {
  name: string;
  at: number; // seconds into the run
  inject(): Promise<void>;
  /** Ends the fault (restart what was killed); awaited in the background. */
  heal?: () => Promise<void>;
  healAfter?: number;
}

interface FaultLog {
  name: string;
  started: number;
  healed?: number;
}

/** Cores, memory and load average, for the record: the figures depend on them. */
function machine(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${os.availableParallelism()} cores, ${gib} GiB, load average ${load}, Node ${process.versions.node}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function setUpDatabase(mode: Mode, galera: Galera, dir: string) {
  if (mode === 'sqlite') {
    const url = `sqlite:${path.join(dir, 'credentials.db')}`;
    return { urls: [url], drop: async () => undefined };
  }
  await galera.start();
  const name = `xares_soak_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({ uri: galera.url(1, 'mysql') });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  return {
    urls: [galera.url(1, name), galera.url(2, name)],
    drop: async () => {
      const c = await createConnection({ uri: galera.url(1, 'mysql') });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

async function soak(mode: Mode): Promise<{ requests: number; errors: number; lost: number }> {
  console.log(`\n==== soak: ${mode}, ${CLIENTS} clients, ${SECONDS} s ====`);
  console.log(`  machine: ${machine()}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-soak-'));
  const galera = new Galera(path.join(os.tmpdir(), 'xares-galera'));
  const engine = new SoakEngine('/tmp/xares-soak-docker');
  const fake = await startFakeProviders();
  const masterKeyHex = MasterKey.generate().exportHex();
  const db = await setUpDatabase(mode, galera, dir);
  await engine.start();
  await engine.loadImage(IMAGE);

  mkdirSync(LOG_DIR, { recursive: true });
  for (const f of readdirSync(LOG_DIR)) if (f.startsWith(`${mode}-`)) rmSync(path.join(LOG_DIR, f));
  const ports = await Promise.all(db.urls.map(() => freePort()));
  const replicas = db.urls.map(
    (url, i) =>
      new Replica(
        String.fromCharCode(65 + i),
        ports[i]!,
        {
          ...process.env,
          ...fake.env,
          CREDENTIAL_DATABASE_URL: url,
          CREDENTIAL_ENCRYPTION_KEY: masterKeyHex,
          DOCKER_HOST: engine.host,
          CREDENTIAL_PUBLIC_URL: `http://127.0.0.1:${ports[0]}`,
          // As behind the deployment's TLS proxy: each client has an address of its own (its
          // X-Forwarded-For hop); the sign-in limits apply per client address as in production.
          CREDENTIAL_TRUSTED_PROXIES: '127.0.0.1',
          LOG_LEVEL: 'warn',
        },
        path.join(LOG_DIR, `${mode}-replica-${String.fromCharCode(65 + i)}.log`),
      ),
  );
  const config = loadConfig({
    CREDENTIAL_DATABASE_URL: db.urls[0]!,
    CREDENTIAL_ENCRYPTION_KEY: masterKeyHex,
  });
  const stats = new Stats();
  const faults: FaultLog[] = [];
  let lost = 0;
  try {
    // The first replica migrates; the others start on the migrated schema.
    await replicas[0]!.start();
    await Promise.all(replicas.slice(1).map((r) => r.start()));
    const opened = await openConfiguredStoreWithKey(config);
    const store = opened.store;
    const users: Array<{ name: string; password: string; id: string; workspace: string }> = [];
    for (let i = 0; i < USERS; i++) {
      const name = `soak${i}`;
      const password = `soak-password-${i}-${randomBytes(4).toString('hex')}`;
      const user = await createUser(store.db, { username: name, password, role: 'user' });
      const workspace = await createWorkspace(engine.docker(), IMAGE, name);
      users.push({ name, password, id: user.id, workspace });
    }

    const urls = () => replicas.map((r) => r.url);
    const acknowledged = new Map<string, Acknowledged>();
    const clients = Array.from({ length: CLIENTS }, (_, i) => {
      const u = users[i % USERS]!;
      let ack = acknowledged.get(u.name);
      if (!ack) acknowledged.set(u.name, (ack = { tokens: new Map() }));
      return {
        client: new Client(u.name, u.password, urls, stats, ack, i),
        user: u,
        owner: i < USERS,
      };
    });

    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    const schedule: Fault[] = [];
    const at = (fraction: number) => Math.round(SECONDS * fraction);
    if (mode === 'galera') {
      schedule.push({
        name: 'Galera node 2 killed',
        at: at(0.15),
        inject: () => galera.kill(2),
        heal: () => galera.restart(2),
        healAfter: 10,
      });
    }
    schedule.push({
      name: 'Docker engine restarted',
      at: at(0.4),
      inject: () => engine.restart(),
    });
    schedule.push({
      name: `replica ${replicas[0]!.name} killed (SIGKILL)`,
      at: at(0.6),
      inject: async () => replicas[0]!.kill(),
      heal: () => replicas[0]!.start(),
      healAfter: 3,
    });
    schedule.push({
      name: 'provider fakes stall',
      at: at(0.8),
      inject: async () => {
        for (const p of fake.all) p.setFault({ kind: 'slow', delayMs: 15_000 });
      },
      heal: async () => {
        for (const p of fake.all) p.setFault(null);
      },
      healAfter: 15,
    });

    // Every fault runs, in order, even when an earlier one took longer to heal than planned (a
    // Galera node rejoining on a loaded machine); the clients run until the deadline and at
    // least AFTER_LAST_FAULT_MS after the last fault ended.
    let faultsOver: number | undefined;
    const t = () => `t=${((Date.now() - started) / 1000).toFixed(1)} s`;
    const faultRunner = (async () => {
      try {
        for (const f of schedule) {
          const wait = started + f.at * 1000 - Date.now();
          if (wait > 0) await sleep(wait);
          const log: FaultLog = { name: f.name, started: Date.now() };
          faults.push(log);
          console.log(`  ${t()}: ${f.name}`);
          await f.inject();
          if (f.heal) {
            await sleep((f.healAfter ?? 0) * 1000);
            await f.heal();
          }
          log.healed = Date.now();
          console.log(`  ${t()}: ${f.name}: over`);
        }
      } finally {
        faultsOver = Date.now();
      }
    })();
    const running = () =>
      Date.now() < deadline ||
      faultsOver === undefined ||
      Date.now() < faultsOver + AFTER_LAST_FAULT_MS;

    const loop = async (c: (typeof clients)[number]) => {
      const { client, user, owner } = c;
      await client.login();
      if (owner) {
        await client.call(
          'tokens.create',
          'POST',
          '/trpc/tokens.create',
          {
            type: 'git_token',
            provider: 'github',
            token: `ghp_default${randomBytes(12).toString('hex')}`,
          },
          { ok: (status, retried) => status === 200 || (retried && status === 409) },
        );
        await client.inject(user.workspace, () => engine.docker());
      }
      while (running()) {
        const r = Math.random();
        if (owner && r < 0.3) {
          // The workspace's own calls, made only by its owner client: an injection revokes the
          // previous workspace token, so one client holds it.
          if (r < 0.05) await client.inject(user.workspace, () => engine.docker());
          else if (r < 0.07) await client.clear(user.workspace);
          else await client.gitCredential(user.workspace, () => engine.docker());
          continue;
        }
        const s = Math.random();
        if (s < 0.03) await client.login();
        else if (s < 0.33) await client.list();
        else if (s < 0.45) await client.createToken();
        else if (s < 0.52) await client.updateToken();
        else if (s < 0.58) await client.deleteToken();
        else if (s < 0.66) await client.testToken();
        else if (s < 0.8) await client.sshKeys();
        else await client.audit();
      }
    };
    await Promise.all(clients.map(loop));
    await faultRunner;
    console.log(`  ${t()}: clients stopped`);

    // Lost writes: every acknowledged credential is there, as acknowledged, and decrypts.
    for (const u of users) {
      const ack = acknowledged.get(u.name)!;
      for (const [id, want] of ack.tokens) {
        const row = await findCredentialForUser(store.db, u.id, id);
        const usernameOk =
          !want.username ||
          row?.username === want.username ||
          want.contended.has(row?.username ?? '');
        if (!row || row.name !== want.name || !usernameOk) {
          lost++;
          console.log(`  LOST ${u.name}/${want.name}: ${row ? 'fields differ' : 'missing'}`);
          continue;
        }
        const secret = await revealSecret(store.db, opened.keyring, row, {
          userId: u.id,
          action: 'read',
          detail: 'soak check',
        }).catch(() => null);
        if (secret !== want.secret) {
          lost++;
          console.log(
            `  LOST ${u.name}/${want.name}: the secret does not decrypt to what was sent`,
          );
        }
      }
    }
    await store.close();
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await fake.close();
    const docker = engine.docker();
    for (const c of await docker.listContainers({ all: true }).catch(() => [])) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    await engine.stop();
    await db.drop().catch(() => undefined);
    if (mode === 'galera') await galera.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }

  report(stats, faults);
  console.log(`  machine at the end: ${machine()}; replica logs in ${LOG_DIR}`);
  console.log(`  ${mode}: ${stats.requests} requests, ${stats.errors.length} errors, ${lost} lost`);
  return { requests: stats.requests, errors: stats.errors.length, lost };
}

function report(stats: Stats, faults: FaultLog[]): void {
  console.log(
    `  ${'call'.padEnd(20)} ${'count'.padStart(7)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'p99'.padStart(9)} errors`,
  );
  const kinds = new Set([...stats.latencies.keys(), ...stats.errors.map((e) => e.kind)]);
  for (const kind of [...kinds].sort()) {
    const l = [...(stats.latencies.get(kind) ?? [])].sort((a, b) => a - b);
    const errors = stats.errors.filter((e) => e.kind === kind).length;
    const f = (n: number) => `${Number.isNaN(n) ? '-' : n.toFixed(0)} ms`.padStart(9);
    console.log(
      `  ${kind.padEnd(20)} ${String(l.length).padStart(7)} ${f(percentile(l, 0.5))} ${f(percentile(l, 0.95))} ${f(percentile(l, 0.99))} ${errors}`,
    );
  }
  // Recovery: from the end of the fault (a restart done, a stall lifted) to the start of the
  // last call that still failed, among calls started from the fault's start to the next
  // fault's; 0 when none failed after the end. Failures before the first fault belong to none.
  const before = stats.errors.filter((e) => e.started < (faults[0]?.started ?? Infinity));
  if (before.length > 0) console.log(`  before any fault: ${before.length} failed calls`);
  faults.forEach((f, i) => {
    const healed = f.healed ?? f.started;
    const until = faults[i + 1]?.started ?? Infinity;
    const late = stats.errors.filter((e) => e.started >= f.started && e.started < until);
    const last = Math.max(healed, ...late.map((e) => e.started));
    const ms = last - healed;
    const lasted = ((healed - f.started) / 1000).toFixed(1);
    console.log(
      `  fault "${f.name}" (lasted ${lasted} s): ${late.length} failed calls; recovery ${(ms / 1000).toFixed(2)} s${ms > RECOVERY_GOAL_MS ? ' (over the 5 s goal)' : ''}`,
    );
  });
  // The failures by class (kind and answer, with addresses, ids and numbers blurred), most first.
  const classes = new Map<string, { n: number; example: string; at: number }>();
  for (const e of stats.errors) {
    const key = `${e.kind}: ${e.what.replace(/\d+/g, 'N').slice(0, 160)}`;
    const c = classes.get(key);
    if (c) c.n++;
    else classes.set(key, { n: 1, example: `${e.kind} ${e.what}`, at: e.started });
  }
  for (const [, c] of [...classes].sort((a, b) => b[1].n - a[1].n).slice(0, 12)) {
    const when = new Date(c.at).toISOString().slice(11, 23);
    console.log(`  ${String(c.n).padStart(5)} x ${c.example.slice(0, 260)} (first at ${when})`);
  }
}

async function main(): Promise<void> {
  const only = process.argv.includes('--only')
    ? process.argv[process.argv.indexOf('--only') + 1]
    : undefined;
  const modes: Mode[] = only ? [only as Mode] : ['sqlite', 'galera'];
  let requests = 0;
  let errors = 0;
  let lost = 0;
  for (const mode of modes) {
    const r = await soak(mode);
    requests += r.requests;
    errors += r.errors;
    lost += r.lost;
  }
  console.log(`${requests} requests, ${errors} errors, ${lost} lost`);
  process.exit(errors === 0 && lost === 0 ? 0 : 1);
}

void ROOT;
main().catch((err) => {
  console.error(err);
  console.log('0 requests, 1 errors, 0 lost');
  process.exit(1);
});
