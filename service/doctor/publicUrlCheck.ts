// Checks the address injection writes into workspaces (.config/xares/service-url): without
// CREDENTIAL_PUBLIC_URL it is the listening address, which a container usually cannot reach.
import type { Config } from '../config';
import { isLoopbackHost } from './redact';
import type { CheckResult } from './types';

const FIX =
  'set CREDENTIAL_PUBLIC_URL to an address workspace containers can reach (compose: http://credentials:7300)';

export function checkPublicUrl(config: Config): CheckResult {
  if (!config.publicUrl) {
    // The same default the workspace service uses (service/workspaces/operations.ts).
    const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
    const shown = `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
    return {
      name: 'public url',
      status: 'warn',
      message: `CREDENTIAL_PUBLIC_URL is not set: workspaces are told ${shown}${
        isLoopbackHost(host) ? ', which inside a container is the container itself' : ''
      }`,
      fix: FIX,
    };
  }
  const url = new URL(config.publicUrl);
  if (isLoopbackHost(url.hostname)) {
    return {
      name: 'public url',
      status: 'warn',
      message: `workspaces are told ${config.publicUrl}, which only containers on the host network reach`,
      fix: FIX,
    };
  }
  if (url.protocol === 'http:' && !config.tls) {
    return {
      name: 'public url',
      status: 'ok',
      message: `workspaces are told ${config.publicUrl} (plain HTTP: keep it on a private network)`,
    };
  }
  return { name: 'public url', status: 'ok', message: `workspaces are told ${config.publicUrl}` };
}
