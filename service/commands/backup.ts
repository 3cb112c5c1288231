// `xares-credentials backup FILE`: a consistent logical export (JSON lines, mode 0600). Secrets
// stay encrypted and data keys wrapped: the backup is useless without the master key.
import path from 'node:path';
import { loadConfig } from '../config';
import { BackupError, writeBackup } from '../store/backup';
import { openConfiguredStoreWithKey } from '../bootstrap';
import { CliError, parseCommandArgs, type Command, cliGuard } from './command';

const HELP = `Usage: xares-credentials backup FILE

Writes a consistent copy of the database (CREDENTIAL_DATABASE_URL, SQLite or MySQL) to FILE as
JSON lines, readable only by you (mode 0600). Secrets stay encrypted, so the backup is useless
without the master key: keep the key somewhere else. The file carries a MAC under the master
key: restore refuses it if anything in it was changed. Sessions are left out (a restore signs
everyone out). FILE must not exist yet. Restore it with 'xares-credentials restore FILE' into
an empty database of either kind.`;

export const command: Command = {
  help: HELP,
  async run(args) {
    const { positionals } = parseCommandArgs(
      { args, options: {}, allowPositionals: true, strict: true },
      HELP,
    );
    if (positionals.length !== 1) throw new CliError(`backup takes one FILE\n\n${HELP}`, 2);
    const file = path.resolve(positionals[0] ?? '');
    const config = loadConfig();
    return cliGuard(async () => {
      // The key is checked so a backup is never made with a key that cannot read it back.
      const { store, masterKey, createdKeyFile } = await openConfiguredStoreWithKey(config);
      if (createdKeyFile) {
        process.stderr.write(
          `note: generated a new master key in ${createdKeyFile}; back it up separately\n`,
        );
      }
      try {
        const counts = await writeBackup(store, file, masterKey);
        const summary = Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([t, n]) => `${n} ${t}`)
          .join(', ');
        process.stdout.write(`backup written to ${file} (${summary || 'empty'})\n`);
        return 0;
      } catch (err) {
        if (err instanceof BackupError) throw new CliError(err.message);
        throw err;
      } finally {
        await store.close();
      }
    });
  },
};
