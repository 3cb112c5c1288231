// `xares-credentials restore FILE`: loads a backup into an EMPTY database of either kind
// (SQLite or MySQL), after checking the master key is the one the backup was made with.
import path from 'node:path';
import { recordAudit } from '../audit/audit';
import { loadConfig } from '../config';
import { resolveMasterKey, verifyMasterKey } from '../crypto/masterKey';
import { BackupError, restoreBackup } from '../store/backup';
import { openConfiguredStore } from '../bootstrap';
import { CliError, parseCommandArgs, type Command, cliGuard } from './command';

const HELP = `Usage: xares-credentials restore [--allow-unauthenticated] FILE

Restores a backup made by 'xares-credentials backup' into the database named by
CREDENTIAL_DATABASE_URL (SQLite or MySQL, either way round). The database must be empty (it is
migrated first), and the master key (CREDENTIAL_ENCRYPTION_KEY or CREDENTIAL_ENCRYPTION_KEY_FILE)
must be the one the backup was made with. Everything is restored in one transaction, and only if
the backup's MAC shows it is unchanged since it was made.

  --allow-unauthenticated   also restore a backup made before backups carried a MAC (format
                            version 1); only for a file you made and kept safe yourself.`;

export const command: Command = {
  help: HELP,
  async run(args) {
    const { positionals, values } = parseCommandArgs(
      {
        args,
        options: { 'allow-unauthenticated': { type: 'boolean', default: false } },
        allowPositionals: true,
        strict: true,
      },
      HELP,
    );
    if (positionals.length !== 1) throw new CliError(`restore takes one FILE\n\n${HELP}`, 2);
    const file = path.resolve(positionals[0] ?? '');
    const config = loadConfig();
    if (!config.encryptionKey && !config.encryptionKeyFile) {
      // Generating a fresh key file here would never match the backup: ask for the real key.
      throw new CliError(
        'restore needs the master key the backup was made with: set CREDENTIAL_ENCRYPTION_KEY or CREDENTIAL_ENCRYPTION_KEY_FILE',
        2,
      );
    }
    const { key } = resolveMasterKey(config);
    return cliGuard(async () => {
      const { store } = await openConfiguredStore(config);
      try {
        const counts = await restoreBackup(store, file, key, {
          allowUnauthenticated: values['allow-unauthenticated'] === true,
        });
        await verifyMasterKey(store.db, key);
        await recordAudit(store.db, {
          userId: null,
          action: 'restore',
          outcome: 'success',
          detail: `restored from ${path.basename(file)}`,
        });
        const summary = Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([t, n]) => `${n} ${t}`)
          .join(', ');
        process.stdout.write(`restored ${summary || 'an empty backup'} from ${file}\n`);
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
