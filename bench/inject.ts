// Benchmark of workspace injection on the real Docker engine (npx tsx bench/inject.ts [rounds]):
//  1. WorkspaceService.inject p50/p95 against a bare dockerode archive upload of the same files
//     into the same container, interleaved in the same run (goal: ratio <= 1.3). Injection itself
//     does not upload (the engine extracts as root, following the user's links): it runs one
//     exec as the workspace user that stats, reads and extracts; the bare upload stays the
//     baseline, the cheapest way to put the same bytes there;
//  2. first injection into a fresh container (what auto-inject always does: nothing known of it
//     yet) against a bare upload of the same files into another fresh container, created the
//     same way, the two interleaved (goal: ratio <= 1.5);
//  3. auto-inject delay from Docker's start event to the files being present (goal: p95 < 1 s).
// Prints one human line per figure and a JSON summary last.
import type { IncomingMessage } from 'node:http';
import pino from 'pino';
import { loadConfig } from '../service/config';
import { generateSshKey } from '../service/ssh/keys';
import { createCredential } from '../service/store/credentials';
import { updateSettings } from '../service/store/settings';
import { WorkspaceService, type WorkspaceCaller } from '../service/workspaces';
import { packArchive, type ArchiveEntry } from '../service/workspaces/archive';
import { buildPlan } from '../service/workspaces/content';
import { openTestStore } from '../test/support/databases';
import { createWorkspace, testDocker, type TestWorkspace } from '../test/support/docker';
import { addTestUser } from '../test/support/fixtures';

const rounds = Math.min(Math.max(Number(process.argv[2] ?? 30) || 30, 5), 200);
const autoRounds = Math.min(rounds, 15);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}
const fmt = (v: number) => `${v.toFixed(1)} ms`;

async function main() {
  const store = await openTestStore('sqlite');
  const docker = testDocker();
  const config = loadConfig({ CREDENTIAL_PORT: '7398' });
  const service = new WorkspaceService({
    store,
    keyring: store.keyring,
    docker,
    config,
    logger: pino({ level: 'silent' }),
  });
  const containers: TestWorkspace[] = [];
  try {
    const user = await addTestUser(store.db);
    // auto-inject is off until the user turns it on (figure 3 needs it)
    await updateSettings(store.db, user.id, { autoInject: true });
    const key = generateSshKey('bench');
    const add = (
      type: 'ssh_key' | 'ai_token',
      provider: 'ssh' | 'openai' | 'anthropic',
      secret: string,
      extra = {},
    ) =>
      createCredential(store.db, store.keyring, {
        userId: user.id,
        type,
        provider,
        name: 'default',
        secret,
        ...extra,
      });
    await add('ssh_key', 'ssh', key.privateKey, {
      publicKey: key.publicKey,
      fingerprint: key.fingerprint,
      hint: 'ed25519',
    });
    await add('ai_token', 'openai', 'sk-bench-openai');
    await add('ai_token', 'anthropic', 'sk-bench-anthropic');
    const caller: WorkspaceCaller = {
      userId: user.id,
      username: user.username,
      role: 'user',
      sessionKind: 'user',
      sessionId: 'bench',
      workspaceId: null,
      ipAddress: '127.0.0.1',
      userAgent: 'bench',
    };

    // 1. steady-state inject vs bare upload of the same files into the same container
    const ws = await createWorkspace(docker, { owner: user.username });
    containers.push(ws);
    const firstStart = performance.now();
    await service.inject(caller, ws.id);
    const firstInject = performance.now() - firstStart;
    const home = { name: 'coder', uid: 1000, gid: 1000, home: '/home/coder' };
    const plan = buildPlan(
      {
        username: user.username,
        sshKey: key,
        git: {
          configured: [],
          githubApiUrl: config.providers.githubApiUrl,
          gitlabUrl: config.providers.gitlabUrl,
          forgejoUrl: null,
        },
        ai: {
          delivery: 'environment',
          gatewayUrl: null,
          openai: 'sk-bench-openai',
          anthropic: 'sk-bench-anthropic',
          custom: [],
          providerUrls: {
            openai: config.providers.openaiBaseUrl,
            anthropic: config.providers.anthropicBaseUrl,
            google: config.providers.googleAiBaseUrl,
          },
          models: config.aiModels,
        },
        serviceUrl: 'http://127.0.0.1:7398',
        workspaceToken: 'x'.repeat(43),
      },
      home,
      '.profile',
    );
    // The same files under a scratch directory of the same home: the same filesystem and
    // layer, without disturbing the files injection manages (their mtimes are its quick check).
    const entries: ArchiveEntry[] = [
      { path: '.bench-bare', type: 'directory', mode: 0o700 },
      ...plan.dirs.map((d) => ({
        path: `.bench-bare/${d.path}`,
        type: 'directory' as const,
        mode: d.mode,
      })),
      ...plan.files.map((f) => ({
        path: `.bench-bare/${f.path}`,
        type: 'file' as const,
        mode: f.mode,
        content: f.content,
      })),
    ];
    const injectMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      await service.inject(caller, ws.id);
      injectMs.push(performance.now() - t);
      t = performance.now();
      // the bare baseline packs too: the same work minus everything that makes it safe
      await ws.container.putArchive(await packArchive(entries, home, new Date()), {
        path: '/home/coder',
      });
      bareMs.push(performance.now() - t);
    }

    // 2. first injection into fresh containers, each against a bare upload into another fresh
    // one (the engine's first archive call into a container costs more than later ones)
    const firstMs: number[] = [];
    const firstBareMs: number[] = [];
    const freshRounds = Math.min(10, rounds);
    for (let i = 0; i < freshRounds; i++) {
      const [a, b] = await Promise.all([
        createWorkspace(docker, { owner: user.username }),
        createWorkspace(docker, { owner: user.username }),
      ]);
      containers.push(a, b);
      const measureInject = async () => {
        const t = performance.now();
        await service.inject(caller, a.id);
        firstMs.push(performance.now() - t);
      };
      const measureBare = async () => {
        const t = performance.now();
        await b.container.putArchive(await packArchive(entries, home, new Date()), {
          path: '/home/coder',
        });
        firstBareMs.push(performance.now() - t);
      };
      // alternate the order, so neither always runs right after two container starts
      if (i % 2 === 0) await measureInject().then(measureBare);
      else await measureBare().then(measureInject);
      await Promise.all([a.remove(), b.remove()]);
    }

    // 3. auto-inject: start event -> token file present
    service.start();
    for (let i = 0; i < 100 && !service.following; i++) await new Promise((r) => setTimeout(r, 50));
    const autoMs: number[] = [];
    for (let i = 0; i < autoRounds; i++) {
      const ws2 = await createWorkspace(docker, { owner: user.username, start: false });
      containers.push(ws2);
      const events = (await docker.getEvents({
        filters: { container: [ws2.id], event: ['start'] },
      } as unknown as Parameters<typeof docker.getEvents>[0])) as NodeJS.ReadableStream & {
        destroy(): void;
      };
      const startEvent = new Promise<number>((resolve) => {
        events.once('data', (c: Buffer) =>
          resolve(
            Number(
              BigInt((JSON.parse(c.toString().split('\n')[0]!) as { timeNano: number }).timeNano) /
                1000n,
            ) / 1000,
          ),
        );
      });
      await ws2.container.start();
      const eventMs = await startEvent;
      events.destroy();
      let presentMs = NaN;
      for (let j = 0; j < 1000; j++) {
        try {
          const res = (await ws2.container.infoArchive({
            path: '/home/coder/.config/xares/workspace-token',
          })) as IncomingMessage;
          res.resume();
          presentMs = Date.now();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      autoMs.push(presentMs - eventMs);
      await ws2.remove();
    }

    const summary = {
      rounds,
      inject: { p50: pct(injectMs, 0.5), p95: pct(injectMs, 0.95) },
      bareUpload: { p50: pct(bareMs, 0.5), p95: pct(bareMs, 0.95) },
      // each inject against the bare upload right after it, so load swings hit both alike
      pairedRatioMedian: pct(
        injectMs.map((v, i) => v / bareMs[i]!),
        0.5,
      ),
      ratio: {
        p50: pct(injectMs, 0.5) / pct(bareMs, 0.5),
        p95: pct(injectMs, 0.95) / pct(bareMs, 0.95),
      },
      firstInject: {
        rounds: freshRounds,
        p50: pct(firstMs, 0.5),
        max: Math.max(...firstMs),
        bareUploadP50: pct(firstBareMs, 0.5),
        ratioP50: pct(firstMs, 0.5) / pct(firstBareMs, 0.5),
        veryFirst: firstInject,
      },
      autoInjectDelay: { rounds: autoRounds, p50: pct(autoMs, 0.5), p95: pct(autoMs, 0.95) },
      files: plan.files.length,
    };
    console.log(`inject          p50 ${fmt(summary.inject.p50)}  p95 ${fmt(summary.inject.p95)}`);
    console.log(
      `bare upload     p50 ${fmt(summary.bareUpload.p50)}  p95 ${fmt(summary.bareUpload.p95)}`,
    );
    console.log(
      `ratio           p50 ${summary.ratio.p50.toFixed(2)}x  p95 ${summary.ratio.p95.toFixed(2)}x  (goal <= 1.3x)`,
    );
    console.log(
      `first inject    p50 ${fmt(summary.firstInject.p50)}  max ${fmt(summary.firstInject.max)}`,
    );
    console.log(
      `first bare      p50 ${fmt(summary.firstInject.bareUploadP50)}  (a bare upload into a fresh container)`,
    );
    console.log(`first ratio     p50 ${summary.firstInject.ratioP50.toFixed(2)}x  (goal <= 1.5x)`);
    console.log(
      `auto-inject     p50 ${fmt(summary.autoInjectDelay.p50)}  p95 ${fmt(summary.autoInjectDelay.p95)}  (start event -> files; goal p95 < 1000 ms)`,
    );
    console.log(`paired ratio    median ${summary.pairedRatioMedian.toFixed(2)}x`);
    console.log(JSON.stringify(summary));
  } finally {
    await service.stop();
    await Promise.all(containers.map((c) => c.remove()));
    await store.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
