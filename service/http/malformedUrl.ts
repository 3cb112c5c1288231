// A %-escape that does not decode (`%zz`, a lone `%`, `%E0%A4` cut short) is the client's
// mistake: answered 400 here, before any router sees the URL. Without this the REST mirror's
// decodeURIComponent threw (a 500), and URLSearchParams silently turned the bytes into U+FFFD,
// so a query meant something other than what was sent.
import type Koa from 'koa';

const MESSAGE = 'the URL holds a malformed %-escape; encode "%" as %25';

/** True (and the 400 answered) when the request's URL does not decode. */
export function answeredMalformedUrl(ctx: Koa.Context, shape: 'trpc' | 'rest'): boolean {
  const url = ctx.req.url ?? '';
  if (!url.includes('%')) return false;
  try {
    decodeURIComponent(url);
    return false;
  } catch {
    ctx.status = 400;
    // The same envelopes the two APIs use for every other error.
    ctx.body =
      shape === 'trpc'
        ? {
            error: {
              message: MESSAGE,
              code: -32600,
              data: { code: 'BAD_REQUEST', httpStatus: 400 },
            },
          }
        : { code: 'BAD_REQUEST', message: MESSAGE };
    return true;
  }
}
