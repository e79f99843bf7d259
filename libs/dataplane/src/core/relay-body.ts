// Streams an upstream response body to the client. stream.pipeline() does the same, but makes
// an AbortController per call and aborts it (a DOMException) on every finish: ~7% of a sidecar's
// CPU at full load. This does only what a proxy needs, and cleans up every way a relay can end.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** The client went away before the whole body was written (pipeline's error code for it). */
export class ClientGoneError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor() {
    super('the client closed the connection before the response was complete');
  }
}

/**
 * Resolves when the body is written; rejects when the body fails (the client's response is then
 * destroyed) or the client goes (the body is then destroyed, so its pooled connection is freed).
 */
export function relayBody(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    // A client that is already gone never emits 'close' again: free the upstream now.
    if (res.destroyed || res.closed || res.writableEnded) {
      discardBody(body);
      reject(new ClientGoneError());
      return;
    }
    const done = () => {
      body.off('error', onBodyError);
      body.off('close', onBodyClose);
      res.off('close', onClientClose);
      res.off('finish', onFinish);
    };
    const onFinish = () => {
      done();
      resolve();
    };
    const onBodyError = (error?: Error) => {
      done();
      body.unpipe(res);
      const failure = error instanceof Error ? error : new Error('upstream body aborted');
      res.destroy(failure);
      reject(failure);
    };
    // Destroyed without an error (and without its end): the answer is cut short all the same.
    const onBodyClose = () => {
      if (!body.readableEnded) onBodyError(new Error('the upstream body closed before its end'));
    };
    const onClientClose = () => {
      done();
      body.unpipe(res);
      discardBody(body);
      reject(new ClientGoneError());
    };
    body.on('error', onBodyError);
    body.on('close', onBodyClose);
    res.on('close', onClientClose);
    res.on('finish', onFinish);
    body.pipe(res);
  });
}

/**
 * Lets go of a body nobody will read, which frees its pooled connection. undici's body reports
 * its own destruction as an 'error' (RequestAbortedError); with no listener left, that would be
 * an uncaught exception.
 */
export function discardBody(body: Readable): void {
  body.on('error', ignore);
  body.destroy();
}

function ignore(): void {
  // the body is being discarded on purpose; its abort is not a failure
}
