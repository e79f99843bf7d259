// A reply the proxy makes itself (Envoy's local reply), on a codec stream.
import type { DownstreamStream } from '../chain/downstream-stream.js';
import type { LocalReply } from './errors.js';

export function replyOnStream(stream: DownstreamStream, reply: LocalReply, extraHeaders: Record<string, string> = {}): void {
  if (stream.responseStarted) {
    // Too late for a status: the only way to say the answer failed is to cut it off.
    stream.reset();
    return;
  }
  const body = Buffer.from(reply.body);
  const fields = ['content-type', 'text/plain'];
  for (const name in extraHeaders) fields.push(name, extraHeaders[name] as string);
  stream.respond(reply.status, fields, false, body.length);
  stream.write(body);
  stream.end();
}
