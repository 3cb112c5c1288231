// /healthz (the process answers) and /readyz (the database answers; Docker's state is reported,
// engine by engine, but does not make the service unready, since only injection needs it and an
// engine that is down affects only the workspaces on it).
import type Koa from 'koa';
import type { DockerState, HealthChecks } from '../domain/deps';
import type { Logger } from '../logger';

export function healthz(ctx: Koa.Context): void {
  ctx.status = 200;
  ctx.body = { status: 'ok' };
}

/** The state of all engines from each one's: which are down is said by address. */
export function summarizeDocker(hosts: NonNullable<DockerState['hosts']>): DockerState {
  const down = hosts.filter((h) => h.state !== 'available').map((h) => h.host);
  if (down.length === 0) {
    const detail =
      hosts.length === 1 ? 'Docker answers' : `all ${hosts.length} Docker hosts answer`;
    return { state: 'available', detail, hosts };
  }
  if (down.length === hosts.length) {
    const detail =
      hosts.length === 1
        ? 'Docker does not answer: injection is unavailable'
        : 'no Docker host answers: injection is unavailable';
    return { state: 'unavailable', detail, hosts };
  }
  const detail = `Docker host${down.length > 1 ? 's' : ''} ${down.join(', ')} ${
    down.length > 1 ? 'do' : 'does'
  } not answer: the workspaces there are unavailable`;
  return { state: 'degraded', detail, hosts };
}

export async function readyz(
  ctx: Koa.Context,
  health: HealthChecks,
  logger: Logger,
): Promise<void> {
  const [database, docker] = await Promise.all([
    health.database().then(
      () => ({ state: 'available' as const }),
      (err: unknown) => {
        logger.warn({ err }, 'readiness: database check failed');
        return { state: 'unavailable' as const, detail: 'the database does not answer' };
      },
    ),
    health.docker().catch(() => ({ state: 'unavailable' as const, detail: 'Docker check failed' })),
  ]);
  const ready = database.state === 'available';
  ctx.status = ready ? 200 : 503;
  ctx.body = { status: ready ? 'ready' : 'unavailable', database, docker };
}
