// Benchmark: `git credential fill` inside a real workspace container through our helper
// (bin/git-credential-xares -> POST /api/git-credential) against `git credential-store` (a plain
// file: the floor) in the same run, in interleaved batches so that load elsewhere on the machine
// hits both alike. Goal: at most 3x the floor.
//   npx tsx bench/gitCredential.ts [rounds]
// Also printed, to show where the time goes: the helper alone (no git), the helper's curl path
// (what an https service URL costs), one curl to /healthz
// (curl's start and one HTTP round trip), `curl --version` (curl's start alone), and the service's
// own time per request from its access log.
import { startTestService } from '../test/support/service';
import { createWorkspace, testDocker, type TestWorkspace } from '../test/support/docker';

const rounds = Math.min(Math.max(Number(process.argv[2] ?? 10) || 10, 3), 50);
const BATCH = 20;
const GOAL = 3;
const HOST = '127.0.0.1:9';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** A shell loop timing `count` runs of `command` inside the container; ms per run. */
async function timeInside(ws: TestWorkspace, command: string, count: number): Promise<number> {
  const script = [
    'set -e',
    't0=$(date +%s%N)',
    `i=0; while [ $i -lt ${count} ]; do ${command} >/dev/null; i=$((i+1)); done`,
    't1=$(date +%s%N)',
    'echo $((t1 - t0))',
  ].join('\n');
  const out = await ws.sh(script);
  return Number(out.trim()) / 1e6 / count;
}

async function main() {
  const svc = await startTestService({ dialect: 'sqlite', logger: undefined });
  let ws: TestWorkspace | undefined;
  try {
    const name = `bench${Math.random().toString(36).slice(2, 8)}`;
    await svc.createUser(name, 'bench-password-1');
    const api = svc.trpc(await svc.login(name, 'bench-password-1'));
    await api.settings.update.mutate({ autoInject: false });
    await api.tokens.create.mutate({
      type: 'git_token',
      provider: 'forgejo',
      token: 'fj-bench-token-0001',
      username: 'bench',
      url: `http://${HOST}`,
    });
    ws = await createWorkspace(testDocker(), { owner: name, network: 'host' });
    await api.workspaces.inject.mutate({ workspaceId: ws.id });
    await ws.sh(
      `printf 'http://bench:fj-bench-token-0001@${HOST}\\n' > ~/.bench-credentials && chmod 600 ~/.bench-credentials`,
    );
    const request = `printf 'protocol=http\\nhost=${HOST}\\n\\n'`;
    const ours = `${request} | git -c credential.helper= -c credential.helper='!~/bin/git-credential-xares' credential fill`;
    const floor = `${request} | git -c credential.helper= -c credential.helper='store --file=/home/coder/.bench-credentials' credential fill`;
    const check = await ws.sh(ours.replace('>/dev/null', ''));
    if (!check.includes('password=fj-bench-token-0001')) throw new Error(`no answer: ${check}`);

    const oursMs: number[] = [];
    const floorMs: number[] = [];
    await timeInside(ws, ours, 5); // warm-up: caches, prepared statements, keyring
    for (let r = 0; r < rounds; r++) {
      oursMs.push(await timeInside(ws, ours, BATCH));
      floorMs.push(await timeInside(ws, floor, BATCH));
    }
    const helperMs = await timeInside(ws, `${request} | ~/bin/git-credential-xares get`, BATCH);
    const url = (await ws.sh('cat ~/.config/xares/service-url')).trim();
    // The helper's curl path (https service URLs): an upper-case scheme sends it there.
    await ws.sh(`echo 'HTTP://${url.slice('http://'.length)}' > ~/.config/xares/service-url`);
    const curlHelperMs = await timeInside(ws, ours, BATCH);
    await ws.sh(`echo '${url}' > ~/.config/xares/service-url`);
    const healthMs = await timeInside(ws, `curl -s ${url}/healthz`, BATCH);
    const curlMs = await timeInside(ws, 'curl --version', BATCH);
    const gitMs = await timeInside(ws, 'git --version', BATCH);
    const serviceMs = svc
      .logs()
      .split('\n')
      .filter((l) => l.includes('"path":"/api/git-credential"'))
      .map((l) => (JSON.parse(l) as { ms?: number }).ms ?? 0);

    const o = median(oursMs);
    const f = median(floorMs);
    const ratio = o / f;
    const fmt = (v: number) => `${v.toFixed(1)} ms`;
    console.log(
      `git credential fill, our helper:      ${fmt(o)} per call (median of ${rounds} batches of ${BATCH})`,
    );
    console.log(`git credential fill, credential-store: ${fmt(f)} per call (the floor)`);
    console.log(`ratio: ${ratio.toFixed(2)}x the floor (goal <= ${GOAL}x)`);
    console.log(
      `  where it goes: helper alone ${fmt(helperMs)}, git credential fill with the helper's curl path (https) ${fmt(curlHelperMs)}, curl to /healthz ${fmt(healthMs)}, curl --version ${fmt(curlMs)}, git --version ${fmt(gitMs)}, service ${fmt(median(serviceMs))} per request`,
    );
    console.log(
      JSON.stringify({
        bench: 'gitCredential',
        oursMs: o,
        floorMs: f,
        ratio,
        goal: GOAL,
        helperMs,
        curlHelperMs,
        healthzCurlMs: healthMs,
        curlStartMs: curlMs,
        gitStartMs: gitMs,
        serviceMs: median(serviceMs),
      }),
    );
    if (ratio > GOAL) process.exitCode = 1;
  } finally {
    await ws?.remove();
    await svc.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
