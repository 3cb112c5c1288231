// Checks the environment parses into a configuration (CONTRACT section 2), with the database URL
// understood; every other check needs this one to pass.
import { type Config, ConfigError, loadConfig } from '../config';
import { parseDatabaseUrl } from '../store/dialect';
import { redactDatabaseUrl } from './redact';
import type { CheckResult } from './types';

export function checkConfig(env: NodeJS.ProcessEnv): { result: CheckResult; config?: Config } {
  let config: Config;
  try {
    config = loadConfig(env);
    parseDatabaseUrl(config.databaseUrl);
  } catch (err) {
    if (
      !(err instanceof Error) ||
      !(err instanceof ConfigError || err.name === 'DatabaseUrlError')
    ) {
      throw err;
    }
    return {
      result: {
        name: 'configuration',
        status: 'fail',
        // loadConfig lists one problem per line; a report line holds them all.
        message: err.message.replace(/:?\n\s*/g, (m) => (m.startsWith(':') ? ': ' : '; ')),
        fix: 'correct the variables named (README, "Configuration")',
      },
    };
  }
  const where = `${config.tls ? 'https' : 'http'}://${config.host}:${config.port}`;
  return {
    config,
    result: {
      name: 'configuration',
      status: 'ok',
      message: `listens on ${where}; database ${redactDatabaseUrl(config.databaseUrl)}`,
    },
  };
}
