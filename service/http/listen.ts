// Starts the HTTP(S) server for the Koa app and stops it gracefully: no new connections, requests
// in flight finish (bounded by a grace period), keep-alive connections are closed.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import { ConfigError } from '../config';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { cert: string; key: string } | undefined;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops accepting, lets requests in flight finish for up to graceMs, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 60_000;

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${variable}: cannot read ${file} (${code})`);
  }
}

export async function listen(app: Koa, options: ListenOptions): Promise<RunningServer> {
  const handler = app.callback();
  let active = 0;
  let closing = false;
  const onRequest: http.RequestListener = (req, res) => {
    active += 1;
    // While closing, tell keep-alive clients not to reuse the connection.
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      active -= 1;
    });
    void handler(req, res);
  };
  const server = options.tls
    ? https.createServer(
        {
          cert: readPem(options.tls.cert, 'CREDENTIAL_TLS_CERT'),
          key: readPem(options.tls.key, 'CREDENTIAL_TLS_KEY'),
        },
        onRequest,
      )
    : http.createServer(onRequest);
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', answerClientError);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    inFlight: () => active,
    close(graceMs = 10_000) {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        const deadline = Date.now() + graceMs;
        const poll = setInterval(() => {
          server.closeIdleConnections();
          if (active === 0 || Date.now() >= deadline) {
            clearInterval(poll);
            server.closeAllConnections();
          }
        }, 25);
        poll.unref();
      });
      return closed;
    },
  };
}

/**
 * A request Node's parser refuses before the app sees it (a request line or headers over 16 KiB,
 * bytes that are not HTTP) gets an answer in words like every other error, instead of Node's
 * bare status line; nothing of the request is echoed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const body = JSON.stringify(
    tooLarge
      ? {
          code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
          message:
            'the request line and headers are too large (at most 16 KiB); send input in a POST body',
        }
      : { code: 'BAD_REQUEST', message: 'the request is not valid HTTP' },
  );
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
