// Benchmark: the AI gateway against a direct call to the same loopback provider fake, in the same
// run. Prints the time to first byte each way (p50, and what the gateway adds) at 1 and at 32
// concurrent streams (32 arriving at once, and one call beside 31 streams already in flight),
// streamed throughput (gateway / direct) at 1 and 32 concurrent streams, the
// gateway process's resident memory while 100 streams are held open, and the gateway's CPU time
// per call and per MB; a JSON summary is the last line.
//   npm run bench -- gateway            (XARES_BENCH_ROUNDS=N for more throughput rounds)
// Goals: added TTFB p50 <= 2 ms; throughput >= 0.9x direct; RSS flat with 100 streams (no answer
// is buffered: what a stream holds is its socket buffers, not its body).
//
// Three processes, as in a deployment: this one is the client (a workspace's SDK), the service
// runs as `xares-credentials serve` runs it (its own process, its own event loop, SQLite, the
// access log written), and the provider fakes run in a third. Each measurement alternates
// gateway and direct, so load from other work on the machine hits both alike. A fourth process,
// a bare Node pipe, is measured alongside: the floor for any extra hop on this machine. The
// gateway's CPU times are read from /proc (they depend less on how busy the machine is).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createSession } from '../service/accounts/sessions';
import { MasterKey } from '../service/crypto/masterKey';
import { createLogger } from '../service/logger';
import type { FakeAnswer } from '../test/support/fakeProviderApis/ai';
import { startTestService } from '../test/support/service';

const ROOT = path.join(__dirname, '..');
const TTFB_ROUNDS = 300;
const TTFB_GOAL_MS = 2;
const THROUGHPUT_GOAL = 0.9;
const ROUNDS = Number(process.env.XARES_BENCH_ROUNDS ?? 7);
const MEMORY_ROUNDS = 8;

interface MemoryRound {
  before: number;
  peak: number;
  after: number;
}
// Idle sockets are closed before the servers' 5 s keep-alive ends them (no reuse race).
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, timeout: 4000 });

interface Target {
  url: URL;
  headers: Record<string, string>;
}

const body = JSON.stringify({ model: 'gpt-5-mini', messages: [], stream: true });

/** One streamed call: ms to the first body byte, ms to the end, bytes received. */
function call(t: Target): Promise<{ ttfb: number; total: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
    const req = http.request(
      t.url,
      { method: 'POST', agent, headers: { ...t.headers, 'content-type': 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${t.url.pathname} answered ${res.statusCode}`));
        }
        let ttfb = -1;
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          if (ttfb < 0) ttfb = ms();
          bytes += c.length;
        });
        res.on('end', () => resolve({ ttfb, total: ms(), bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Ms to the first body byte of one streamed call; the call is then dropped. */
function firstByte(t: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(
      t.url,
      { method: 'POST', agent, headers: { ...t.headers, 'content-type': 'application/json' } },
      (res) => {
        if (res.statusCode !== 200)
          reject(new Error(`${t.url.pathname} answered ${res.statusCode}`));
        res.once('data', () => {
          resolve(Number(process.hrtime.bigint() - start) / 1e6);
          req.destroy();
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', (e) => reject(e));
    req.end(body);
  });
}

/**
 * TTFB of single calls made one after another while `background` long streams keep running
 * through the same target (each replaced as it ends): 32 streams in flight at once, arriving
 * spread out as real ones do, where the burst figure has 32 calls arrive in the same instant.
 */
async function ttfbInFlight(t: Target, background: number, probes: number): Promise<number[]> {
  let stop = false;
  const keep = async () => {
    while (!stop) await call(t);
  };
  const runners = Array.from({ length: background }, keep);
  await new Promise((r) => setTimeout(r, 500));
  const out: number[] = [];
  for (let i = 0; i < probes; i++) out.push(await firstByte(t));
  stop = true;
  await Promise.all(runners);
  return out;
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Bytes per second over `streams` concurrent calls. */
async function throughput(t: Target, streams: number): Promise<number> {
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: streams }, () => call(t)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return results.reduce((n, r) => n + r.bytes, 0) / seconds;
}

/** A process's CPU time so far (user + system), in ms, from /proc. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** A process's resident set, in MB, from /proc. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

interface FakeProcess {
  child: ChildProcess;
  env: Record<string, string>;
  openaiBaseUrl: string;
  control(path: string, body: unknown): Promise<void>;
}

/** The provider fakes as a separate program (test/support/fakeProviders.ts), driven over HTTP. */
async function startFakeProcess(): Promise<FakeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test', 'support', 'fakeProviders.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the fake exited with ${code}`)));
  });
  const { env, urls } = JSON.parse(first) as {
    env: Record<string, string>;
    urls: { openaiBaseUrl: string };
  };
  const origin = new URL(urls.openaiBaseUrl).origin;
  return {
    child,
    env,
    openaiBaseUrl: urls.openaiBaseUrl,
    async control(controlPath, payload) {
      const res = await fetch(`${origin}${controlPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      if (res.status !== 204) throw new Error(`${controlPath} answered ${res.status}`);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The database the service will run on, with a user, their OpenAI key and a gateway token
 * (minted as an injection mints it). Made by a service in this process that is closed again
 * before the real one starts.
 */
async function prepareDatabase(
  dir: string,
  fakeEnv: Record<string, string>,
  key: string,
): Promise<{ databaseUrl: string; masterKeyHex: string; gatewayToken: string }> {
  const databaseUrl = `sqlite:${path.join(dir, 'credentials.db')}`;
  const masterKeyHex = MasterKey.generate().exportHex();
  const svc = await startTestService({
    dialect: 'sqlite',
    database: { databaseUrl, masterKeyHex },
    env: fakeEnv,
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const { id: userId } = await svc.createUser('bench', 'bench-password-1');
    const token = await svc.login('bench', 'bench-password-1');
    await svc
      .trpc(token)
      .tokens.create.mutate({ type: 'ai_token', provider: 'openai', token: key });
    const gw = await createSession(svc.service.store.db, {
      userId,
      kind: 'gateway',
      workspaceId: 'bench-workspace',
      timeoutSeconds: 7200,
    });
    return { databaseUrl, masterKeyHex, gatewayToken: gw.token };
  } finally {
    await svc.close();
  }
}

/** `xares-credentials serve` from the sources, its log lines (one per request) into a file. */
async function startServiceProcess(
  dir: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const log = openSync(path.join(dir, 'service.log'), 'a');
  const child = spawn(
    process.execPath,
    [
      // XARES_BENCH_PROFILE=DIR writes a CPU profile of the service there when it stops.
      ...(process.env.XARES_BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.XARES_BENCH_PROFILE}`]
        : []),
      '--import',
      'tsx',
      path.join(ROOT, 'service', 'cli.ts'),
      'serve',
    ],
    {
      env: {
        ...process.env,
        ...env,
        CREDENTIAL_HOST: '127.0.0.1',
        CREDENTIAL_PORT: String(port),
      },
      stdio: ['ignore', log, log],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the service did not start within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url };
}

/**
 * The floor for any proxy in a process of its own: a bare Node pipe (keep-alive upstream, Nagle
 * off, no authentication, no database, no usage reading) between the same client and fake. What
 * the gateway costs beyond it is the gateway's own work; what it costs is the extra hop's.
 */
const BARE_PROXY = `
const http = require('node:http');
const upstream = new URL(process.env.UPSTREAM);
const base = upstream.pathname.replace(/\\/$/, '');
const agent = new http.Agent({ keepAlive: true, timeout: 4000 });
const hop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);
const pass = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !hop.has(k)));
const server = http.createServer((req, res) => {
  req.socket.setNoDelay(true);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method,
      path: base + req.url, agent, headers: { ...pass(req.headers), 'content-length': body.length } },
      (answer) => { res.writeHead(answer.statusCode, pass(answer.headers)); answer.pipe(res); });
    up.on('socket', (s) => s.setNoDelay(true));
    up.on('error', () => res.destroy());
    up.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startBareProxy(upstream: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', BARE_PROXY], {
    env: { ...process.env, UPSTREAM: upstream },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the bare proxy exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-bench-gateway-'));
  const fake = await startFakeProcess();
  let service: ChildProcess | undefined;
  let bareProxy: ChildProcess | undefined;
  try {
    const reply = (answer: Partial<FakeAnswer>) => fake.control('/__fake/reply', answer);
    const key = 'sk-bench-gateway-0001';
    await fake.control('/__fake/token', { token: key });
    const db = await prepareDatabase(dir, fake.env, key);
    const started = await startServiceProcess(dir, {
      ...fake.env,
      CREDENTIAL_DATABASE_URL: db.databaseUrl,
      CREDENTIAL_ENCRYPTION_KEY: db.masterKeyHex,
      CREDENTIAL_AI_CONCURRENCY: '512',
    });
    service = started.child;
    const pid = service.pid!;
    const bare = await startBareProxy(fake.openaiBaseUrl);
    bareProxy = bare.child;
    const direct: Target = {
      url: new URL(`${fake.openaiBaseUrl}/chat/completions`),
      headers: { authorization: `Bearer ${key}` },
    };
    const gateway: Target = {
      url: new URL(`${started.url}/ai/openai/chat/completions`),
      headers: { authorization: `Bearer ${db.gatewayToken}` },
    };
    const bareTarget: Target = {
      url: new URL(`${bare.url}/chat/completions`),
      headers: { authorization: `Bearer ${key}` },
    };
    console.log(
      `processes: client ${process.pid}, gateway (serve) ${pid}, provider fake ${fake.child.pid}, ` +
        `bare proxy ${bareProxy.pid}; ` +
        `${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}`,
    );

    // Time to first byte: a short answer whose first event is written at once.
    await reply({ chunks: 2, intervalMs: 0 });
    for (let i = 0; i < 50; i++) {
      await Promise.all([call(direct), call(gateway), call(bareTarget)]);
    }
    const ttfb1 = { direct: [] as number[], gateway: [] as number[], bare: [] as number[] };
    // CPU over the whole loop, so that what a process does after an answer ended (the
    // gateway's audit completion, its log line) is counted too.
    const cpuAtStart = { gateway: cpuMs(pid), bare: cpuMs(bareProxy.pid!) };
    for (let i = 0; i < TTFB_ROUNDS; i++) {
      ttfb1.direct.push((await call(direct)).ttfb);
      ttfb1.gateway.push((await call(gateway)).ttfb);
      ttfb1.bare.push((await call(bareTarget)).ttfb);
    }
    await new Promise((r) => setTimeout(r, 100));
    const gatewayCpu1 = cpuMs(pid) - cpuAtStart.gateway;
    const bareCpu1 = cpuMs(bareProxy.pid!) - cpuAtStart.bare;
    const cpuPerCallMs = gatewayCpu1 / TTFB_ROUNDS;
    const bareCpuPerCallMs = bareCpu1 / TTFB_ROUNDS;
    const ttfb32 = { direct: [] as number[], gateway: [] as number[], bare: [] as number[] };
    for (let i = 0; i < 20; i++) {
      for (const [t, into] of [
        [direct, ttfb32.direct],
        [gateway, ttfb32.gateway],
        [bareTarget, ttfb32.bare],
      ] as const) {
        const results = await Promise.all(Array.from({ length: 32 }, () => call(t)));
        into.push(...results.map((r) => r.ttfb));
      }
    }
    const ttfb = [1, 32].map((streams) => {
      const s = streams === 1 ? ttfb1 : ttfb32;
      const added = p50(s.gateway) - p50(s.direct);
      console.log(
        `TTFB p50, ${streams} stream(s): direct ${p50(s.direct).toFixed(2)} ms, gateway ` +
          `${p50(s.gateway).toFixed(2)} ms, added ${added.toFixed(2)} ms ` +
          `(goal <= ${TTFB_GOAL_MS} ms) ${added <= TTFB_GOAL_MS ? 'ok' : 'MISSED'}; ` +
          `bare proxy ${p50(s.bare).toFixed(2)} ms (+${(p50(s.bare) - p50(s.direct)).toFixed(2)})`,
      );
      return {
        streams,
        directP50Ms: round(p50(s.direct)),
        gatewayP50Ms: round(p50(s.gateway)),
        addedMs: round(added),
        ok: added <= TTFB_GOAL_MS,
        bareProxyP50Ms: round(p50(s.bare)),
      };
    });
    // The same 32 streams held in flight: 31 answers of 2 s each, replaced as they end, and
    // single calls timed one after another beside them.
    await reply({ text: 'z'.repeat(100 * 1024), chunks: 100, intervalMs: 20 });
    const inFlight = { direct: [] as number[], gateway: [] as number[], bare: [] as number[] };
    for (let i = 0; i < 2; i++) {
      inFlight.direct.push(...(await ttfbInFlight(direct, 31, 100)));
      inFlight.gateway.push(...(await ttfbInFlight(gateway, 31, 100)));
      inFlight.bare.push(...(await ttfbInFlight(bareTarget, 31, 100)));
    }
    const inFlightAdded = p50(inFlight.gateway) - p50(inFlight.direct);
    console.log(
      `TTFB p50 of a call beside 31 streams in flight: direct ${p50(inFlight.direct).toFixed(2)} ms, ` +
        `gateway ${p50(inFlight.gateway).toFixed(2)} ms, added ${inFlightAdded.toFixed(2)} ms ` +
        `(goal <= ${TTFB_GOAL_MS} ms) ${inFlightAdded <= TTFB_GOAL_MS ? 'ok' : 'MISSED'}; bare proxy ` +
        `${p50(inFlight.bare).toFixed(2)} ms (+${(p50(inFlight.bare) - p50(inFlight.direct)).toFixed(2)})`,
    );
    console.log(
      `CPU per short call: gateway ${cpuPerCallMs.toFixed(3)} ms, bare proxy ` +
        `${bareCpuPerCallMs.toFixed(3)} ms`,
    );

    // Throughput: a long answer, 64 KiB events written as fast as the provider can.
    const answerBytes = 64 * 1024 * 64;
    await reply({ text: 'x'.repeat(answerBytes), chunks: 64, intervalMs: 0 });
    const rates: Array<Record<string, unknown>> = [];
    let cpuPerMb = 0;
    for (const streams of [1, 32]) {
      const r = { direct: [] as number[], gateway: [] as number[], bare: [] as number[] };
      await throughput(direct, streams);
      await throughput(gateway, streams);
      await throughput(bareTarget, streams);
      let gatewayCpu = 0;
      for (let i = 0; i < ROUNDS; i++) {
        r.direct.push(await throughput(direct, streams));
        const before = cpuMs(pid);
        r.gateway.push(await throughput(gateway, streams));
        gatewayCpu += cpuMs(pid) - before;
        r.bare.push(await throughput(bareTarget, streams));
      }
      if (streams === 32) cpuPerMb = gatewayCpu / ((ROUNDS * streams * answerBytes) / 1e6);
      const ratio = p50(r.gateway) / p50(r.direct);
      const bareRatio = p50(r.bare) / p50(r.direct);
      console.log(
        `throughput, ${streams} stream(s): direct ${(p50(r.direct) / 1e6).toFixed(0)} MB/s, ` +
          `gateway ${(p50(r.gateway) / 1e6).toFixed(0)} MB/s, ratio ${ratio.toFixed(2)}x ` +
          `(goal >= ${THROUGHPUT_GOAL}x) ${ratio >= THROUGHPUT_GOAL ? 'ok' : 'MISSED'}; bare proxy ` +
          `${bareRatio.toFixed(2)}x, gateway / bare proxy ${(ratio / bareRatio).toFixed(2)}x`,
      );
      rates.push({
        streams,
        directMBps: round(p50(r.direct) / 1e6, 0),
        gatewayMBps: round(p50(r.gateway) / 1e6, 0),
        ratio: round(ratio),
        ok: ratio >= THROUGHPUT_GOAL,
        bareProxyRatio: round(bareRatio),
      });
    }
    console.log(`gateway CPU per MB streamed (32 streams): ${cpuPerMb.toFixed(2)} ms`);

    // Memory: 100 streams held open for about two seconds each, eight times over after one
    // round to warm up, through the gateway and through the bare proxy in turn. RSS at its peak
    // against just before (what 100 streams hold), and after each round (whether anything stays).
    await reply({ text: 'y'.repeat(100 * 4096), chunks: 100, intervalMs: 20 });
    const hundred = async (t: Target, processId: number) => {
      const before = rssMb(processId);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(processId))), 20);
      await Promise.all(Array.from({ length: 100 }, () => call(t)));
      clearInterval(sampler);
      return { before, peak, after: rssMb(processId) };
    };
    await hundred(gateway, pid);
    await hundred(bareTarget, bareProxy.pid!);
    const mem = { gateway: [] as MemoryRound[], bare: [] as MemoryRound[] };
    for (let i = 0; i < MEMORY_ROUNDS; i++) {
      mem.gateway.push(await hundred(gateway, pid));
      mem.bare.push(await hundred(bareTarget, bareProxy.pid!));
    }
    const memoryOf = (rounds: MemoryRound[]) => {
      const peakGrowth = p50(rounds.map((m) => m.peak - m.before));
      return {
        rssBeforeMB: round(rounds[0]!.before, 1),
        peakGrowthMB: round(peakGrowth, 1),
        perStreamKB: round((peakGrowth * 1024) / 100, 0),
        afterEachRoundMB: rounds.map((m) => round(m.after, 0)),
        driftMB: round(rounds.at(-1)!.after - rounds[0]!.after, 1),
      };
    };
    const memory = { streams: 100, gateway: memoryOf(mem.gateway), bareProxy: memoryOf(mem.bare) };
    for (const [who, m] of [
      ['gateway', memory.gateway],
      ['bare proxy', memory.bareProxy],
    ] as const) {
      console.log(
        `memory, 100 concurrent streams of 400 KB through the ${who}: RSS ${m.rssBeforeMB} MB ` +
          `before, peak +${m.peakGrowthMB} MB (${m.perStreamKB} KB a stream; the answer is 400 KB); ` +
          `after each of ${MEMORY_ROUNDS} rounds ${m.afterEachRoundMB.join(', ')} MB (drift ` +
          `${m.driftMB >= 0 ? '+' : ''}${m.driftMB} MB)`,
      );
    }
    const summary = {
      bench: 'gateway',
      at: new Date().toISOString(),
      loadAverage: round(os.loadavg()[0]!),
      ttfb,
      ttfbInFlight32: {
        directP50Ms: round(p50(inFlight.direct)),
        gatewayP50Ms: round(p50(inFlight.gateway)),
        addedMs: round(inFlightAdded),
        ok: inFlightAdded <= TTFB_GOAL_MS,
        bareProxyP50Ms: round(p50(inFlight.bare)),
      },
      throughput: rates,
      memory,
      gatewayCpu: {
        perShortCallMs: round(cpuPerCallMs, 3),
        bareProxyPerShortCallMs: round(bareCpuPerCallMs, 3),
        perMBms: round(cpuPerMb, 2),
      },
    };
    console.log(JSON.stringify(summary));
  } finally {
    agent.destroy();
    service?.kill('SIGTERM');
    bareProxy?.kill('SIGTERM');
    fake.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
