// Checks each Docker engine injection uses (CREDENTIAL_DOCKER_HOSTS, else DOCKER_HOST): reachable,
// its version, and that every API section injection needs is allowed, which matters behind a
// socket proxy. Changes nothing.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { Config, DockerHostAddress } from '../config';
import { createHostClient } from '../workspaces/hosts';
import { describeError, withTimeout } from './timeout';
import { type CheckResult, PROBE_TIMEOUT_MS } from './types';

function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Probes one API section without side effects: a request about an object that does not exist
 * answers 404 when the section is allowed, and 403 when a socket proxy blocks it.
 */
async function sectionAllowed(probe: () => Promise<unknown>, what: string): Promise<boolean> {
  try {
    await withTimeout(probe(), PROBE_TIMEOUT_MS, what);
    return true;
  } catch (err) {
    const status = statusCodeOf(err);
    if (status === 404) return true;
    if (status === 403) return false;
    throw err;
  }
}

/** Asks for the events of the last second, a bounded stream, and closes it at once. */
async function probeEvents(docker: Docker): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const stream = await docker.getEvents({ since: now - 1, until: now });
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}

/** Every configured engine, probed at once: one result each. */
export function checkDockerHosts(config: Pick<Config, 'dockerHosts'>): Promise<CheckResult[]> {
  if (config.dockerHosts.length === 1) {
    return Promise.all(config.dockerHosts.map((a) => checkDocker(a)));
  }
  // One line per engine, numbered in the list's order (report names end at the first colon, so
  // not the address: each message says it).
  const n = config.dockerHosts.length;
  return Promise.all(
    config.dockerHosts.map(async (a, i) => ({
      ...(await checkDocker(a, 'CREDENTIAL_DOCKER_HOSTS')),
      name: `docker ${i + 1} of ${n}`,
    })),
  );
}

export async function checkDocker(
  address: DockerHostAddress,
  /** The variable a fix should name; DOCKER_HOST when there is one engine. */
  variable = 'DOCKER_HOST',
): Promise<CheckResult> {
  const where = address.name;
  let docker: Docker;
  try {
    docker = createHostClient(address, PROBE_TIMEOUT_MS);
  } catch (err) {
    return {
      name: 'docker',
      status: 'fail',
      message: describeError(err),
      fix: `check the tls= directory of ${where} in ${variable}`,
    };
  }
  let version: Docker.DockerVersion;
  try {
    await withTimeout(docker.ping(), PROBE_TIMEOUT_MS, `Docker at ${where}`);
    version = await withTimeout(docker.version(), PROBE_TIMEOUT_MS, `Docker at ${where}`);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const fix =
      code === 'EACCES'
        ? `the service's user may not open ${where}: use the socket proxy of docker-compose.yml, or add the user to the docker group`
        : statusCodeOf(err) === 403
          ? 'the socket proxy must allow PING=1 and VERSION=1'
          : variable === 'DOCKER_HOST'
            ? `start the Docker engine, or set DOCKER_HOST to where it listens (compose: tcp://docker-proxy:2375)`
            : `start the Docker engine at ${where}, or correct its address in ${variable}`;
    return {
      name: 'docker',
      status: 'fail',
      message: `cannot reach the Docker engine at ${where}: ${describeError(err)}`,
      fix,
    };
  }

  // A random name no container or exec instance has, so the probes touch nothing.
  const ghost = `xares-doctor-probe-${randomBytes(8).toString('hex')}`;
  const probes: Array<[string, () => Promise<unknown>]> = [
    ['containers', () => docker.listContainers({ limit: 1 })],
    ['archive', () => docker.getContainer(ghost).getArchive({ path: '/' })],
    ['exec', () => docker.getExec(ghost).inspect()],
    ['POST', () => docker.getContainer(ghost).exec({ Cmd: ['true'] })],
    ['events', () => probeEvents(docker)],
  ];
  const blocked: string[] = [];
  try {
    for (const [section, probe] of probes) {
      if (!(await sectionAllowed(probe, `Docker ${section} API`))) blocked.push(section);
    }
  } catch (err) {
    return {
      name: 'docker',
      status: 'fail',
      message: `Docker at ${where} answered, but probing its API failed: ${describeError(err)}`,
      fix: 'check the engine and any proxy in front of it',
    };
  }
  const engine = `Docker ${version.Version} (API ${version.ApiVersion}) at ${where}`;
  if (blocked.length) {
    return {
      name: 'docker',
      status: 'fail',
      message: `${engine} refuses ${blocked.join(', ')}, which injection needs`,
      fix: 'allow CONTAINERS=1, EXEC=1, EVENTS=1 and POST=1 in the socket proxy',
    };
  }
  return {
    name: 'docker',
    status: 'ok',
    message: `${engine}; containers, archive, exec and events allowed`,
  };
}
