// Reads a JSON request body with the contract's 64 KiB limit (413) and a clear 400 for bad JSON.
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';

export const BODY_LIMIT_BYTES = 64 * 1024;

function tooLarge(): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', 'the request body is larger than 64 KiB');
}

/**
 * Collects the body up to `limit` bytes. Past it (a chunked body has no Content-Length to refuse
 * up front) reading stops without destroying the request, which would tear down the socket and
 * leave Koa answering 500 before the 413 could be sent; the caller closes the connection.
 */
function collect(req: IncomingMessage, limit: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks);
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Reads and parses the body; undefined when there is none. Throws AppError. */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number = BODY_LIMIT_BYTES,
): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks = await collect(req, limit);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const type = String(req.headers['content-type'] ?? 'application/json');
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError(
      'BAD_REQUEST',
      'the request body must be JSON (Content-Type: application/json)',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse's message quotes the input, which may hold a secret: never pass it on.
    throw new AppError('BAD_REQUEST', 'the request body is not valid JSON');
  }
}
