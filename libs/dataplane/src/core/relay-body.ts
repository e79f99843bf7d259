// Streams an upstream body into the client's response. stream/promises' pipeline() would do,
// but it creates an AbortController per call and aborts it when done, which builds a
// DOMException with a stack trace for every request: measurable on the hot path.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

export function relayBody(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      body.off('error', onBodyError);
      res.off('close', onClose);
      res.off('finish', onFinish);
      if (error) reject(error);
      else resolve();
    };
    const onBodyError = (error: Error) => done(error);
    const onFinish = () => done();
    const onClose = () => {
      if (!res.writableFinished) {
        body.destroy();
        done(Object.assign(new Error('the client closed the connection before the response was sent'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      } else done();
    };
    body.on('error', onBodyError);
    res.on('finish', onFinish);
    res.on('close', onClose);
    body.pipe(res);
  });
}
