// Decodes a whole byte string with the codec, fed in the pieces given, into the same shape the
// llhttp reference gives: the test-side view of RequestDecoder/ResponseDecoder.
import type { CodecError } from './codec-error.js';
import type { DecodedMessage, DecodeResult } from './llhttp-reference.js';
import { RequestDecoder, ResponseDecoder } from './message-decoder.js';
import type { RequestHead, ResponseHead } from './head-parser.js';

export function codecDecode(pieces: Buffer[], kind: 'request' | 'response'): DecodeResult & { status?: number } {
  const messages: DecodedMessage[] = [];
  let current: DecodedMessage | undefined;
  let failure: CodecError | undefined;
  const events = {
    head(head: RequestHead | ResponseHead) {
      current = {
        start: 'method' in head ? head.method : String(head.status),
        target: 'method' in head ? head.target : head.reason,
        minor: head.minor,
        headers: head.headers,
        body: '',
        trailers: [],
      };
    },
    data(chunk: Buffer) {
      if (current) current.body += chunk.toString('latin1');
    },
    end(trailers: string[]) {
      if (current) messages.push({ ...current, trailers });
      current = undefined;
    },
    error(error: CodecError) {
      failure = error;
    },
  };
  const decoder = kind === 'request' ? new RequestDecoder(events) : new ResponseDecoder(events);
  for (const piece of pieces) {
    decoder.feed(piece);
    while (decoder.waitingAfterMessage && !failure) decoder.resume();
    if (failure) break;
  }
  if (!failure && decoder.eof() === 'truncated') return { messages, error: 'truncated' };
  if (!failure && decoder.droppedAfterClose > 0) return { messages, error: 'closed' };
  return failure ? { messages, error: failure.detail, status: failure.status } : { messages };
}
