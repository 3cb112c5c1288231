// The Docker engines the service serves workspaces on (CREDENTIAL_DOCKER_HOSTS): a client for
// each, the error that names an engine that does not answer, and each engine's state for
// /readyz. A host that is down degrades only the workspaces on it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ConfigError, type Config, type DockerHostAddress } from '../config';
import { AppError } from '../errors';

/** One engine: `name` is its address without options, as the injection record keeps it. */
export interface DockerHost {
  name: string;
  docker: Docker;
}

/** One engine's state as /readyz shows it. */
export interface HostState {
  host: string;
  state: 'available' | 'unavailable';
  detail: string;
}

const PING_TIMEOUT_MS = 2_000;

/** A dockerode client for one address; TLS files are read now, so a missing one stops start-up. */
export function createHostClient(address: DockerHostAddress, timeoutMs?: number): Docker {
  const timeout = timeoutMs !== undefined ? { timeout: timeoutMs } : {};
  if (address.socketPath) return new Docker({ socketPath: address.socketPath, ...timeout });
  const options: Docker.DockerOptions = {
    protocol: address.tls ? 'https' : 'http',
    host: address.host,
    port: address.port,
    ...timeout,
  };
  if (address.tlsDir) {
    const read = (file: string) => {
      try {
        return readFileSync(path.join(address.tlsDir as string, file));
      } catch {
        throw new ConfigError(
          `Docker host ${address.name}: cannot read ${file} in ${address.tlsDir} (tls= needs ca.pem, cert.pem and key.pem)`,
        );
      }
    };
    Object.assign(options, { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') });
  }
  return new Docker(options);
}

export function createDockerHosts(config: Pick<Config, 'dockerHosts'>): DockerHost[] {
  return config.dockerHosts.map((a) => ({ name: a.name, docker: createHostClient(a) }));
}

/** SERVICE_UNAVAILABLE naming the engines that did not answer. */
export function hostsDown(names: readonly string[], cause?: unknown): AppError {
  const which =
    names.length === 1 ? `The Docker host ${names[0]}` : `The Docker hosts ${names.join(', ')}`;
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `${which} ${names.length === 1 ? 'is not reachable; its' : 'are not reachable; their'} workspaces are unavailable, try again later`,
    { cause },
  );
}

/** Pings every engine at once, each bounded in time. */
export async function hostStates(hosts: readonly DockerHost[]): Promise<HostState[]> {
  return Promise.all(
    hosts.map(async (h): Promise<HostState> => {
      try {
        await pingWithin(h.docker, PING_TIMEOUT_MS);
        return { host: h.name, state: 'available', detail: 'Docker answers' };
      } catch {
        return {
          host: h.name,
          state: 'unavailable',
          detail: 'Docker does not answer: its workspaces are unavailable',
        };
      }
    }),
  );
}

/** dockerode's typings take no options for ping, so the deadline is a race. */
function pingWithin(docker: Docker, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Docker did not answer in time')), ms);
  });
  return Promise.race([docker.ping(), late]).finally(() => clearTimeout(timer));
}
