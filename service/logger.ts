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
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go (tests capture them); stdout by default. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'xares-credentials' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors keep type and message; the stack stays in logs only (never in an answer).
      serializers: { err: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
