// Reads a JSON request body with the contract's 64 KiB limit (413) and a clear 400 for bad JSON.
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';

export const BODY_LIMIT_BYTES = 64 * 1024;

/** Reads and parses the body; undefined when there is none. Throws AppError. */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number = BODY_LIMIT_BYTES,
): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new AppError('PAYLOAD_TOO_LARGE', 'the request body is larger than 64 KiB');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new AppError('PAYLOAD_TOO_LARGE', 'the request body is larger than 64 KiB');
    }
    chunks.push(chunk);
  }
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
