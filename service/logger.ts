// The service's structured JSON logger (pino) with redaction of every field that could hold a
// secret, so a log line never carries a token, password, key or session even by mistake.
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Field names whose values are secrets wherever they appear (two levels deep, plus headers). */
const SECRET_FIELDS = [
  'token',
  'password',
  'privateKey',
  'passphrase',
  'key',
  'secret',
  'apiKey',
  'authorization',
  'cookie',
  'set-cookie',
  'sessionToken',
  'masterKey',
  'encryptionKey',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'input',
  '*.input',
  // Driver errors can carry the statement and its values (mysql2 inlines them into err.sql).
  'err.sql',
  'err.parameters',
  'err.cause.sql',
  'err.cause.parameters',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go (tests capture them); stdout by default. */
  destination?: DestinationStream;
}

const accessLoggers = new WeakMap<Logger, Logger>();

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  const common = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: 'xares-credentials' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = pino(
    {
      ...common,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors keep type and message; the stack stays in logs only (never in an answer).
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
  // The access log writes a fixed set of non-secret fields once per request; wildcard redaction
  // costs about 0.1 ms per line, more than the request it describes, so that one goes without.
  accessLoggers.set(logger, pino(common, destination));
  return logger;
}

/**
 * The logger for access-log lines of `logger` (same destination and level, no redaction): call
 * it only with fixed, non-secret fields (method, path without query, status, duration, address).
 */
export function accessLoggerOf(logger: Logger): Logger {
  return accessLoggers.get(logger) ?? logger;
}
