// `xares-credentials migrate`: brings the configured database to the newest schema.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { openConfiguredStore } from '../bootstrap';
import { CliError, type Command, cliGuard } from './command';

export const command: Command = {
  help: `Usage: xares-credentials migrate

Applies pending database migrations to CREDENTIAL_DATABASE_URL (SQLite or MySQL). Safe to run
again: an up-to-date database is left alone. The service also migrates on start.`,
  async run(args) {
    try {
      parseArgs({ args, options: {}, allowPositionals: false, strict: true });
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const config = loadConfig();
    return cliGuard(async () => {
      const { store, applied } = await openConfiguredStore(config);
      await store.close();
      process.stdout.write(
        applied.length
          ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n`
          : 'the database is up to date\n',
      );
      return 0;
    });
  },
};
