// Benchmark: the AI gateway against a direct call to the same loopback provider fake, in the same
// run. Prints the time to first byte each way (p50, and what the gateway adds), streamed
// throughput (gateway / direct) at 1 and 32 concurrent streams, and memory while 100 streams are
// held open at once.
//   npm run bench -- gateway
// Goals: added TTFB p50 <= 2 ms; throughput >= 0.9x direct; heap flat with 100 streams (no
// answer is buffered: what a stream holds is its socket buffers, not its body).
// The provider fake runs in a process of its own (as a provider is elsewhere); the service and
// the client share this one. Each measurement alternates gateway and direct, so load from other
// work on the machine hits both alike. Memory is the heap growth with 100 gateway streams
// minus that with 100 direct streams (the client's share), per stream.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createLogger } from '../service/logger';
import { createSession } from '../service/accounts/sessions';
import type { FakeAnswer } from '../test/support/fakeProviderApis/ai';
import { startTestService } from '../test/support/service';

const TTFB_ROUNDS = 300;
const TTFB_GOAL_MS = 2;
const THROUGHPUT_GOAL = 0.9;
// Idle sockets are closed before the servers' 5 s keep-alive ends them (no reuse race).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });

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
        if (res.statusCode !== 200)
          reject(new Error(`${t.url.pathname} answered ${res.statusCode}`));
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

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function throughput(t: Target, streams: number): Promise<number> {
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: streams }, () => call(t)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return results.reduce((n, r) => n + r.bytes, 0) / seconds;
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
    ['--import', 'tsx', path.join(__dirname, '..', 'test', 'support', 'fakeProviders.ts')],
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
    async control(controlPath, body) {
      const res = await fetch(`${origin}${controlPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 204) throw new Error(`${controlPath} answered ${res.status}`);
    },
  };
}

async function main(): Promise<void> {
  const fake = await startFakeProcess();
  const reply = (answer: Partial<FakeAnswer>) => fake.control('/__fake/reply', answer);
  const svc = await startTestService({
    dialect: 'sqlite',
    env: { ...fake.env, CREDENTIAL_AI_CONCURRENCY: '512' },
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const key = 'sk-bench-gateway-0001';
    await fake.control('/__fake/token', { token: key });
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
    const direct: Target = {
      url: new URL(`${fake.openaiBaseUrl}/chat/completions`),
      headers: { authorization: `Bearer ${key}` },
    };
    const gateway: Target = {
      url: new URL(`${svc.url}/ai/openai/chat/completions`),
      headers: { authorization: `Bearer ${gw.token}` },
    };

    // Time to first byte: a short answer whose first event is written at once.
    await reply({ chunks: 2, intervalMs: 0 });
    for (let i = 0; i < 20; i++) await Promise.all([call(direct), call(gateway)]);
    const ttfb = { direct: [] as number[], gateway: [] as number[] };
    for (let i = 0; i < TTFB_ROUNDS; i++) {
      ttfb.direct.push((await call(direct)).ttfb);
      ttfb.gateway.push((await call(gateway)).ttfb);
    }
    const added = p50(ttfb.gateway) - p50(ttfb.direct);
    console.log(
      `TTFB p50: direct ${p50(ttfb.direct).toFixed(2)} ms, gateway ${p50(ttfb.gateway).toFixed(2)} ms, ` +
        `added ${added.toFixed(2)} ms (goal <= ${TTFB_GOAL_MS} ms) ${added <= TTFB_GOAL_MS ? 'ok' : 'MISSED'}`,
    );

    // Throughput: a long answer, 64 KiB events written as fast as the provider can.
    await reply({ text: 'x'.repeat(64 * 1024 * 64), chunks: 64, intervalMs: 0 });
    for (const streams of [1, 32]) {
      const rates = { direct: [] as number[], gateway: [] as number[] };
      for (let round = 0; round < 5; round++) {
        rates.direct.push(await throughput(direct, streams));
        rates.gateway.push(await throughput(gateway, streams));
      }
      const ratio = p50(rates.gateway) / p50(rates.direct);
      console.log(
        `throughput, ${streams} stream(s): direct ${(p50(rates.direct) / 1e6).toFixed(0)} MB/s, ` +
          `gateway ${(p50(rates.gateway) / 1e6).toFixed(0)} MB/s, ratio ${ratio.toFixed(2)}x ` +
          `(goal >= ${THROUGHPUT_GOAL}x) ${ratio >= THROUGHPUT_GOAL ? 'ok' : 'MISSED'}`,
      );
    }

    // Memory: 100 streams held open for about two seconds each; the growth of the heap with
    // them through the gateway, less the growth with them direct (the client's own share).
    await reply({ text: 'y'.repeat(100 * 4096), chunks: 100, intervalMs: 20 });
    const heap = () => process.memoryUsage().heapUsed / 1e6;
    const growth = async (t: Target) => {
      const before = heap();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, heap())), 20);
      await Promise.all(Array.from({ length: 100 }, () => call(t)));
      clearInterval(sampler);
      return peak - before;
    };
    const direct100 = [await growth(direct), await growth(direct)];
    const gateway100 = [await growth(gateway), await growth(gateway)];
    const perStream = ((Math.min(...gateway100) - Math.min(...direct100)) * 1e3) / 100;
    console.log(
      `memory, 100 concurrent streams of 400 KB: heap growth direct ${Math.min(...direct100).toFixed(1)} MB, ` +
        `gateway ${Math.min(...gateway100).toFixed(1)} MB: the gateway holds about ${perStream.toFixed(0)} KB per stream ` +
        `(the answer is 400 KB); rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
    );
  } finally {
    agent.destroy();
    await svc.close();
    fake.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
