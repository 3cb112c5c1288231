// /healthz (the process answers) and /readyz (the database answers; Docker's state is reported
// but does not make the service unready, since only injection needs it).
import type Koa from 'koa';
import type { HealthChecks } from '../domain/deps';
import type { Logger } from '../logger';

export function healthz(ctx: Koa.Context): void {
  ctx.status = 200;
  ctx.body = { status: 'ok' };
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
