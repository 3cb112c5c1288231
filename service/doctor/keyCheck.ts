// Checks the master key: configured (or, on the embedded default, the generated file present),
// 64 hex characters, its file private, and the key the database was created with. Creates
// nothing: unlike start-up, doctor neither generates a key file nor stores a key check.
import { existsSync, statSync } from 'node:fs';
import type { Config } from '../config';
import {
  defaultKeyFile,
  keyCheckMatches,
  MasterKeyError,
  resolveMasterKey,
  type ResolvedMasterKey,
} from '../crypto/masterKey';
import { parseDatabaseUrl } from '../store/dialect';
import type { Store } from '../store/database';
// Only reads the key check: verifyMasterKey would write one on a fresh database.
import { readKeyCheck } from '../store/serviceMeta';
import { describeError, withTimeout } from './timeout';
import { type CheckResult, PROBE_TIMEOUT_MS } from './types';

const MAKE_KEY = 'make one with `openssl rand -hex 32`';

/** resolveMasterKey, except that a missing generated key file is reported instead of created. */
function resolveWithoutCreating(config: Config): ResolvedMasterKey | CheckResult {
  if (config.encryptionKey === undefined && config.encryptionKeyFile === undefined) {
    const target = parseDatabaseUrl(config.databaseUrl);
    if (target.dialect === 'sqlite') {
      const file = defaultKeyFile(target.file);
      if (!existsSync(file)) {
        return {
          name: 'key',
          status: existsSync(target.file) ? 'fail' : 'warn',
          message: existsSync(target.file)
            ? `no key is configured and ${file}, the key this database was created with, is missing`
            : `no key is configured; the first start creates ${file} (mode 0600)`,
          fix: existsSync(target.file)
            ? 'restore that key file from your backup, or set CREDENTIAL_ENCRYPTION_KEY_FILE to it'
            : 'back that file up once it exists: without it the stored secrets cannot be read',
        };
      }
      // The generated file exists: read it exactly as the service would.
      return resolveMasterKey({ ...config, encryptionKeyFile: file });
    }
  }
  return resolveMasterKey(config);
}

function keyFixFor(message: string): string {
  if (message.includes('not both')) return 'remove one of the two variables';
  if (message.includes('cannot read'))
    return 'make the key file readable by the service user (and by no one else)';
  if (message.includes('must be set'))
    return `set CREDENTIAL_ENCRYPTION_KEY_FILE to a file holding the key; ${MAKE_KEY}`;
  return `the key is 32 random bytes as 64 hex characters: ${MAKE_KEY}; an existing database needs the key it was created with`;
}

export async function checkKey(config: Config, store: Store | undefined): Promise<CheckResult> {
  let resolved: ResolvedMasterKey;
  try {
    const outcome = resolveWithoutCreating(config);
    if ('status' in outcome) return outcome;
    resolved = outcome;
  } catch (err) {
    if (!(err instanceof MasterKeyError)) throw err;
    return { name: 'key', status: 'fail', message: err.message, fix: keyFixFor(err.message) };
  }
  const from = resolved.file ? `${resolved.source} (${resolved.file})` : resolved.source;
  const shown = `the key from ${from}, id ${resolved.key.id.slice(0, 8)}`;

  if (resolved.file) {
    const mode = statSync(resolved.file).mode & 0o777;
    if (mode & 0o077) {
      return {
        name: 'key',
        status: 'warn',
        message: `${resolved.file} is readable by others (mode 0${mode.toString(8)})`,
        fix: `chmod 600 ${resolved.file}`,
      };
    }
  }
  if (!store) {
    return {
      name: 'key',
      status: 'warn',
      message: `${shown} is well-formed; not compared with the database, which is not available`,
      fix: 'fix the database line, then run doctor again',
    };
  }
  let stored;
  try {
    const tables = await store.db.introspection.getTables();
    stored = tables.some((t) => t.name === 'service_meta')
      ? await withTimeout(readKeyCheck(store.db), PROBE_TIMEOUT_MS, 'the key check query')
      : undefined;
  } catch (err) {
    return {
      name: 'key',
      status: 'fail',
      message: `cannot read the database's key check: ${describeError(err)}`,
      fix: 'see the database line',
    };
  }
  if (!stored) {
    return {
      name: 'key',
      status: 'ok',
      message: `${shown} is well-formed; the database has no key check yet, the first start stores this key's`,
    };
  }
  if (!keyCheckMatches(resolved.key, stored)) {
    return {
      name: 'key',
      status: 'fail',
      message: `${shown} is not the key this database was created with`,
      fix: 'configure the original key (after rotate-key: the new one); a restored backup needs the key of the database it came from',
    };
  }
  return { name: 'key', status: 'ok', message: `${shown} matches the database's key check` };
}
