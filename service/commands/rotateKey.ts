// `xares-credentials rotate-key`: re-wraps every data key under a new master key, safely while
// the service keeps running on the old one; run it again to resume after an interruption.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { recordAudit } from '../audit/audit';
import { loadConfig } from '../config';
import { MasterKey, MasterKeyError, resolveMasterKey } from '../crypto/masterKey';
import { forgetPreviousWraps, rotateMasterKey } from '../crypto/rotation';
import { openConfiguredStore } from '../bootstrap';
import { CliError, parseCommandArgs, type Command, cliGuard } from './command';

const HELP = `Usage: xares-credentials rotate-key [--new-key-file FILE] [--batch-size N]
       xares-credentials rotate-key --forget-old-key

Re-wraps every per-user data key under a new master key. The current key is the service's
(CREDENTIAL_ENCRYPTION_KEY, CREDENTIAL_ENCRYPTION_KEY_FILE, or the generated key file next to
the SQLite database); the new key comes from CREDENTIAL_NEW_ENCRYPTION_KEY (64 hex characters)
or --new-key-file FILE.

Safe while the service runs: it keeps reading with the old key until restarted. Once done, only
the new key starts the service: put it where the service reads its key and restart. When the
key came from the generated key file, that file is replaced with the new key. If interrupted,
run the same command again: it resumes where it stopped.

  --new-key-file FILE   file holding the new key (64 hex characters)
  --batch-size N        data keys per transaction (default 500)
  --forget-old-key      once every service runs on the new key (given as the current key),
                        drop the copies wrapped under the old one, so it opens nothing anymore`;

function newKeyFrom(file: string | undefined): MasterKey {
  const fromEnv = process.env.CREDENTIAL_NEW_ENCRYPTION_KEY;
  if (file && fromEnv) {
    throw new CliError(
      'give the new key either in CREDENTIAL_NEW_ENCRYPTION_KEY or with --new-key-file, not both',
      2,
    );
  }
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(
        `cannot read the new key file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    return MasterKey.fromHex(text, `the new key file ${file}`);
  }
  if (fromEnv) return MasterKey.fromHex(fromEnv, 'CREDENTIAL_NEW_ENCRYPTION_KEY');
  throw new CliError(
    'no new key: set CREDENTIAL_NEW_ENCRYPTION_KEY or pass --new-key-file FILE (make one with: openssl rand -hex 32)',
    2,
  );
}

export const command: Command = {
  help: HELP,
  async run(args) {
    const { values } = parseCommandArgs(
      {
        args,
        options: {
          'new-key-file': { type: 'string' },
          'batch-size': { type: 'string' },
          'forget-old-key': { type: 'boolean' },
        },
        allowPositionals: false,
        strict: true,
      },
      HELP,
    );
    const batchSize = values['batch-size'] === undefined ? 500 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new CliError('--batch-size must be a whole number from 1 to 10000', 2);
    }
    const config = loadConfig();
    if (values['forget-old-key']) {
      if (values['new-key-file'] || process.env.CREDENTIAL_NEW_ENCRYPTION_KEY) {
        throw new CliError(
          '--forget-old-key takes no new key: run it after the rotation, with the new key as the current one',
          2,
        );
      }
      const { key } = resolveMasterKey(config);
      return cliGuard(async () => {
        const { store } = await openConfiguredStore(config);
        try {
          const changed = await forgetPreviousWraps(store.db, key, batchSize);
          process.stdout.write(`dropped the old-key copies of ${changed} data keys\n`);
          return 0;
        } finally {
          await store.close();
        }
      });
    }
    const next = newKeyFrom(values['new-key-file']);
    const current = resolveMasterKey(config);
    if (current.createdFile) {
      throw new MasterKeyError(
        `there was no key yet (a new one was just written to ${current.createdFile}); nothing to rotate`,
      );
    }
    return cliGuard(async () => {
      const { store } = await openConfiguredStore(config);
      try {
        const result = await rotateMasterKey(store.db, current.key, next, {
          batchSize,
          onBatch: ({ batches, rotated }) => {
            if (batches % 10 === 0) process.stderr.write(`... ${rotated} data keys re-wrapped\n`);
          },
        });
        if (result.status === 'rotated') {
          await recordAudit(store.db, {
            userId: null,
            action: 'rotate',
            outcome: 'success',
            detail: `master key rotated: ${result.rotated} data keys re-wrapped (key id ${next.id})`,
          });
        }
        let keyNote = 'now set the new key where the service reads it and restart the service';
        if (current.source === 'key file next to the database' && current.file) {
          // The generated key file is ours to keep current (also when a previous run stopped
          // between the database and the file): replace it atomically, mode 0600.
          if (current.key.id !== next.id) {
            const tmp = `${current.file}.new-${process.pid}`;
            writeFileSync(tmp, next.exportHex() + '\n', { mode: 0o600, flag: 'wx' });
            renameSync(tmp, current.file);
          }
          keyNote = `${current.file} holds the new key; restart the service`;
        }
        process.stdout.write(
          result.status === 'already_rotated'
            ? `the database is already under the new key; ${keyNote}\n`
            : `rotated: ${result.rotated} data keys re-wrapped in ${result.batches} batch(es); ${keyNote}\n`,
        );
        return 0;
      } finally {
        await store.close();
      }
    });
  },
};
