// `xares-credentials serve`: runs the HTTP service until SIGTERM or SIGINT, then shuts down
// gracefully (requests in flight finish, background work stops, the database closes).
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createService } from '../server';
import { countUsers } from '../store/users';
import { CliError, type Command } from './command';

const HELP = `Usage: xares-credentials serve

Runs the credential service (tRPC at /trpc, REST at /api/credentials, /healthz, /readyz).
Configuration comes from the environment: CREDENTIAL_HOST, CREDENTIAL_PORT,
CREDENTIAL_DATABASE_URL, CREDENTIAL_ENCRYPTION_KEY or CREDENTIAL_ENCRYPTION_KEY_FILE,
CREDENTIAL_TLS_CERT/CREDENTIAL_TLS_KEY and the others listed in the README.
Stops gracefully on SIGTERM or SIGINT.`;

export const command: Command = {
  help: HELP,
  async run(args) {
    if (args.length > 0) throw new CliError(`serve takes no arguments (got '${args[0]}')`);
    const config = loadConfig(process.env);
    const logger = createLogger();
    const service = await createService({ config, logger });
    process.stdout.write(`xares-credentials: listening on ${service.url}\n`);
    if ((await countUsers(service.store.db)) === 0) {
      process.stdout.write(
        'xares-credentials: there is no user yet; add the first one with:\n' +
          '  xares-credentials user add NAME --admin\n',
      );
    }
    return new Promise<number>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        logger.info({ signal }, 'shutting down');
        service.close().then(
          () => {
            logger.info('stopped');
            logger.flush();
            resolve(0);
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            logger.flush();
            resolve(1);
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  },
};
