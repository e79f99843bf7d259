// One request from a downstream stream to an upstream connection and its answer back, with
// bytes moving as they come and backpressure both ways: a slow upstream pauses the client's
// socket, a slow client pauses the upstream's. The router's forwarding step on the codec.
import type { ClientPool } from './client-pool.js';
import type { ClientConnection, ClientRequestHead, RequestBodyFraming, UpstreamError } from './client-connection.js';
import { endToEnd } from './field-list.js';
import type { ResponseHead } from './head-parser.js';
import type { ServerStream } from './server-connection.js';

export type ForwardOutcome =
  | { kind: 'relayed'; status: number }
  /** Nothing reached the client yet: the caller may answer locally or try elsewhere. */
  | { kind: 'failed-before-response'; error: Error; connectFailure: boolean }
  /** The answer was cut short after it began; the client's connection was reset. */
  | { kind: 'reset'; status: number; error: Error }
  | { kind: 'client-gone' };

export function forwardStream(stream: ServerStream, pool: ClientPool, request: ClientRequestHead): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    const free = pool.tryAcquire();
    if (free) return exchange(stream, free, request, resolve);
    let gone = false;
    const abort = new AbortController();
    stream.onReset = () => {
      gone = true;
      abort.abort();
      resolve({ kind: 'client-gone' });
    };
    pool.acquire(abort.signal).then(
      (connection) => {
        if (gone) return connection.destroy();
        exchange(stream, connection, request, resolve);
      },
      (error: Error) => {
        if (!gone) resolve({ kind: 'failed-before-response', error, connectFailure: error.name === 'ConnectError' });
      },
    );
  });
}

function exchange(stream: ServerStream, connection: ClientConnection, request: ClientRequestHead, resolve: (outcome: ForwardOutcome) => void): void {
  const head = stream.head;
  const framing: RequestBodyFraming = head.chunked ? { kind: 'chunked' } : head.contentLength > 0 ? { kind: 'length', length: head.contentLength } : NO_BODY;
  let status = 0;
  let settled = false;
  const settle = (outcome: ForwardOutcome) => {
    if (settled) return;
    settled = true;
    resolve(outcome);
  };
  stream.onReset = () => {
    connection.destroy();
    settle({ kind: 'client-gone' });
  };
  connection.send(request, framing, {
    head(response: ResponseHead) {
      status = response.status;
      stream.respond(response.status, endToEnd(response.headers), false, response.chunked ? -1 : response.contentLength);
    },
    data(chunk) {
      if (!stream.write(chunk)) {
        connection.pause();
        stream.onDrain(() => {
          if (!settled) connection.resume();
        });
      }
    },
    end(trailers) {
      stream.end(trailers);
      settle({ kind: 'relayed', status });
    },
    error(error: UpstreamError) {
      if (!stream.responseStarted) settle({ kind: 'failed-before-response', error, connectFailure: false });
      else {
        stream.reset();
        settle({ kind: 'reset', status, error });
      }
    },
  });
  if (framing.kind === 'none') return;
  stream.readBody(
    (chunk) => {
      if (!connection.write(chunk)) {
        stream.pause();
        connection.socket.once('drain', () => {
          if (!settled) stream.resume();
        });
      }
    },
    (trailers) => connection.end(trailers),
  );
}

const NO_BODY: RequestBodyFraming = { kind: 'none' };
