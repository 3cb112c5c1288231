// The workspace test image with Debian's gh (GitHub CLI 2.23) added, for the docker-tier tests of
// the provider CLIs. Containers have no network, so the package is fetched on the host
// (`apt-get download gh` into the CI cache, once) and installed with dpkg in a container of the
// test image, which is then committed as `<image>-gh` (cached: warm runs skip all of it).
// `.ci/image-extras` does the same ahead of time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { execIn, TEST_IMAGE } from './docker';

const CACHE = process.env.XARES_CI_CACHE || '/var/cache/xares-ci';
export const GH_IMAGE = `${TEST_IMAGE.replace(/:.*$/, '')}:gh`;

function ghDeb(): string {
  const dir = path.join(CACHE, 'debs');
  mkdirSync(dir, { recursive: true });
  const find = () => readdirSync(dir).find((f) => /^gh_.*\.deb$/.test(f));
  if (!find()) execFileSync('apt-get', ['download', 'gh'], { cwd: dir, stdio: 'ignore' });
  const deb = find();
  if (!deb) throw new Error(`could not fetch Debian's gh package into ${dir}`);
  return path.join(dir, deb);
}

/** The name of the test image with gh installed, building it first if needed. */
export async function ensureGhImage(docker: Docker): Promise<string> {
  try {
    await docker.getImage(GH_IMAGE).inspect();
    return GH_IMAGE;
  } catch {
    // built below
  }
  const deb = ghDeb();
  if (!existsSync(deb)) throw new Error(`${deb} is missing`);
  const archive = execFileSync('tar', ['-C', path.dirname(deb), '-c', path.basename(deb)], {
    maxBuffer: 256 * 1024 * 1024,
  });
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: ['sleep', 'infinity'],
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    await container.putArchive(archive, { path: '/tmp' });
    const installed = await execIn(
      container,
      ['sh', '-c', `dpkg -i /tmp/${path.basename(deb)} && rm /tmp/${path.basename(deb)}`],
      { user: 'root', timeoutMs: 120_000 },
    );
    if (installed.code !== 0) throw new Error(`dpkg -i gh failed: ${installed.stderr}`);
    await container.stop({ t: 0 });
    const [repo, tag] = GH_IMAGE.split(':') as [string, string];
    await container.commit({ repo, tag, changes: ['CMD ["sleep","infinity"]'] });
  } finally {
    await container.remove({ force: true });
  }
  return GH_IMAGE;
}
