// Bounds a promise in time, so no doctor probe can hang on a silent host or a stuck socket.
export class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError';
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProbeTimeoutError(`${what} did not answer within ${ms / 1000} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message of an error for a report line: its code when it has one (ECONNREFUSED, ENOENT). */
export function describeError(err: unknown): string {
  if (err instanceof ProbeTimeoutError) return err.message;
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? (message.split('\n')[0] ?? '') : String(err);
    return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
  }
  return String(err);
}
