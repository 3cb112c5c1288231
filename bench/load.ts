// Benchmark: latency against load. tokens.list and gitCredential.get on the service (SQLite, and
// MariaDB with CREDENTIAL_TEST_MYSQL_URL) at 1, 2, 4 ... 64 concurrent clients, each level as the
// p50/p95 latency and the throughput, next to a bare Koa JSON endpoint at the same concurrency
// (the baseline, measured in the same run, level by level). Writes the picture
// bench/results/latency-vs-load.svg (bench/README.md shows it), captioned with the machine and its
// load average when the run started and ended, and the numbers beside it as
// bench/results/latency-vs-load.json.
//   npx tsx bench/load.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { createSession } from '../service/accounts/sessions';
import type { DialectName } from '../service/store/dialect';
import { startTestService } from '../test/support/service';

const LEVELS = [1, 2, 4, 8, 16, 32, 64];
const MS_PER_LEVEL = Number(process.env.XARES_LOAD_MS ?? 2000);

interface Point {
  clients: number;
  p50: number;
  p95: number;
  rps: number;
}

interface Series {
  name: string;
  points: Point[];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function get(url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function level(url: URL, headers: Record<string, string>, clients: number): Promise<Point> {
  const latencies: number[] = [];
  const deadline = Date.now() + MS_PER_LEVEL;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const t = process.hrtime.bigint();
        const status = await get(url, headers);
        if (status !== 200) throw new Error(`${url.pathname} answered ${status}`);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return {
    clients,
    p50: at(0.5),
    p95: at(0.95),
    rps: latencies.length / ((Date.now() - start) / 1000),
  };
}

async function bareKoa(): Promise<{ url: URL; close(): Promise<void> }> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = [{ id: 'x', name: 'default', provider: 'github' }];
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    close: () => new Promise((r) => server.close(() => r(undefined))),
  };
}

async function measure(dialect: DialectName): Promise<Series[]> {
  const svc = await startTestService({ dialect, env: { LOG_LEVEL: 'warn' } });
  const bare = await bareKoa();
  try {
    const user = await svc.createUser('load', 'load-password-1');
    const token = await svc.login('load', 'load-password-1');
    await svc.trpc(token).tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_loadBench0000000000000000000000000',
    });
    const { token: workspaceToken } = await createSession(svc.service.store.db, {
      userId: user.id,
      kind: 'workspace',
      workspaceId: 'load-bench-workspace',
      timeoutSeconds: 3600,
    });
    const list = new URL(`${svc.url}/trpc/tokens.list?input=%7B%7D`);
    const git = new URL(
      `${svc.url}/trpc/gitCredential.get?input=${encodeURIComponent(JSON.stringify({ protocol: 'https', host: 'github.com' }))}`,
    );
    const series: Series[] = [
      { name: 'bare Koa', points: [] },
      { name: `tokens.list (${dialect})`, points: [] },
      { name: `gitCredential.get (${dialect})`, points: [] },
    ];
    for (const clients of LEVELS) {
      // The three take turns at each level, so load from elsewhere hits them alike.
      series[0]!.points.push(await level(bare.url, {}, clients));
      series[1]!.points.push(await level(list, { authorization: `Bearer ${token}` }, clients));
      series[2]!.points.push(
        await level(git, { authorization: `Bearer ${workspaceToken}` }, clients),
      );
      const [b, l, g] = series.map((s) => s.points.at(-1)!);
      console.log(
        `  ${String(clients).padStart(2)} clients: bare p95 ${b!.p95.toFixed(2)} ms; list p95 ${l!.p95.toFixed(2)} ms (${(l!.rps / b!.rps).toFixed(2)}x bare rate); git p95 ${g!.p95.toFixed(2)} ms (${(g!.rps / b!.rps).toFixed(2)}x)`,
      );
    }
    return series;
  } finally {
    await bare.close();
    await svc.close();
  }
}

/** The machine a run happened on, for the caption: cores, CPU model, memory, load averages. */
function machine(): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load ${load}`;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** A log-log chart of p95 latency against concurrent clients, one line per series. */
function svgChart(all: Series[], caption: string[]): string {
  const W = 720;
  const H = 420;
  const pad = { l: 70, r: 220, t: 40, b: 50 };
  const xs = LEVELS.map(Math.log2);
  const ys = all.flatMap((s) => s.points.map((p) => Math.log10(p.p95)));
  const [y0, y1] = [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys))];
  const x = (c: number) =>
    pad.l + ((Math.log2(c) - xs[0]!) / (xs.at(-1)! - xs[0]!)) * (W - pad.l - pad.r);
  const y = (ms: number) =>
    H - pad.b - ((Math.log10(ms) - y0) / (y1 - y0 || 1)) * (H - pad.t - pad.b);
  const colors = ['#888888', '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${pad.l}" y="22" font-size="14">p95 latency against concurrent clients (log-log)</text>`,
    ...caption.map(
      (line, i) =>
        `<text x="${W - pad.r + 15}" y="${pad.t + 30 + (all.length + i) * 16}" font-size="10" fill="#555">${escapeXml(line)}</text>`,
    ),
  ];
  for (const c of LEVELS) {
    parts.push(
      `<line x1="${x(c)}" y1="${pad.t}" x2="${x(c)}" y2="${H - pad.b}" stroke="#eee"/>`,
      `<text x="${x(c)}" y="${H - pad.b + 18}" text-anchor="middle">${c}</text>`,
    );
  }
  for (let e = y0; e <= y1; e++) {
    const ms = 10 ** e;
    parts.push(
      `<line x1="${pad.l}" y1="${y(ms)}" x2="${W - pad.r}" y2="${y(ms)}" stroke="#eee"/>`,
      `<text x="${pad.l - 8}" y="${y(ms) + 4}" text-anchor="end">${ms >= 1 ? ms : ms.toFixed(2)} ms</text>`,
    );
  }
  parts.push(
    `<text x="${(pad.l + W - pad.r) / 2}" y="${H - 12}" text-anchor="middle">concurrent clients</text>`,
  );
  all.forEach((s, i) => {
    const color = colors[i % colors.length];
    const d = s.points.map(
      (p, j) => `${j ? 'L' : 'M'}${x(p.clients).toFixed(1)},${y(p.p95).toFixed(1)}`,
    );
    parts.push(`<path d="${d.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) {
      parts.push(
        `<circle cx="${x(p.clients).toFixed(1)}" cy="${y(p.p95).toFixed(1)}" r="3" fill="${color}"/>`,
      );
    }
    const ly = pad.t + 10 + i * 20;
    parts.push(
      `<line x1="${W - pad.r + 15}" y1="${ly}" x2="${W - pad.r + 35}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${W - pad.r + 40}" y="${ly + 4}">${s.name}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

async function main(): Promise<void> {
  const dialects: DialectName[] = ['sqlite'];
  if (process.env.CREDENTIAL_TEST_MYSQL_URL) dialects.push('mysql');
  const all: Series[] = [];
  const started = new Date();
  const loadBefore = machine();
  for (const d of dialects) {
    console.log(`${d}:`);
    const series = await measure(d);
    // One bare-Koa line is enough in the picture.
    all.push(...(all.length ? series.slice(1) : series));
  }
  const loadAfter = machine().replace(/.*load /, '');
  const caption = [
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${MS_PER_LEVEL} ms a level`,
    ...loadBefore.replace(/, load .*/, '').split(/, (?=\d+ GiB)/),
    `load before ${loadBefore.replace(/.*load /, '')}`,
    `load after ${loadAfter}`,
  ];
  const out = path.join(__dirname, 'results', 'latency-vs-load.svg');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, svgChart(all, caption) + '\n');
  writeFileSync(
    out.replace(/\.svg$/, '.json'),
    JSON.stringify(
      { started: started.toISOString(), machine: loadBefore, loadAfter, series: all },
      (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v),
      2,
    ) + '\n',
  );
  console.log(`wrote ${path.relative(process.cwd(), out)} (${caption.join('; ')})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
