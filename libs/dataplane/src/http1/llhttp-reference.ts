// The reference the codec is tested against: Node's own llhttp, driven directly through the
// HTTPParser binding node:http uses (module `_http_common`), so thousands of messages are decoded
// in-process without sockets. Test support only; nothing in the proxy uses it.
import { createRequire } from 'node:module';

interface HttpParserBinding {
  new (): HttpParserInstance;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}
interface HttpParserInstance {
  initialize(type: number, resource: object): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  [key: number]: unknown;
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as { HTTPParser: HttpParserBinding; methods: string[] };
const { HTTPParser } = common;

export interface DecodedMessage {
  /** Request: method; response: status code as text. */
  start: string;
  /** Request: target; response: reason phrase. */
  target: string;
  minor: number;
  headers: string[];
  body: string;
  trailers: string[];
}

export interface DecodeResult {
  /** Complete messages in order. */
  messages: DecodedMessage[];
  /** Why decoding stopped early, if it did (llhttp's HPE_* code or our codec's detail). */
  error?: string;
}

const lower = (list: string[]): string[] => list.map((v, i) => (i % 2 === 0 ? v.toLowerCase() : v));

/** Decodes `bytes` (then end of input) with llhttp as node:http would, strict (no lenient flags). */
export function llhttpDecode(bytes: Buffer, kind: 'request' | 'response'): DecodeResult {
  const parser = new HTTPParser();
  parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {});
  const messages: DecodedMessage[] = [];
  let current: (DecodedMessage & { majorOk: boolean }) | undefined;
  let error: string | undefined;
  // node's binding hands over long heads early, in kOnHeaders calls, and then passes undefined.
  let early: string[] = [];
  let earlyUrl = '';
  parser[HTTPParser.kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, status: number, reason: string) => {
    const all = headers ? [...early, ...headers] : early;
    const target = url ?? earlyUrl;
    early = [];
    earlyUrl = '';
    current = {
      start: kind === 'request' ? (common.methods[method] ?? `#${method}`) : String(status),
      target: kind === 'request' ? target : reason ?? '',
      minor: major === 1 ? minor : -1,
      headers: lower(all),
      body: '',
      trailers: [],
      majorOk: major === 1,
    };
    return 0;
  };
  parser[HTTPParser.kOnHeaders] = (fields: string[], url: string) => {
    if (current) current.trailers.push(...lower(fields));
    else {
      early.push(...fields);
      earlyUrl += url ?? '';
    }
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    if (current) current.body += chunk.toString('latin1');
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (current) {
      const { majorOk: _ignored, ...message } = current;
      messages.push(message);
    }
    current = undefined;
  };
  const executed = parser.execute(bytes);
  if (executed instanceof Error) error = (executed as Error & { code?: string }).code ?? executed.message;
  else {
    const finished = parser.finish();
    if (finished instanceof Error) error = (finished as Error & { code?: string }).code ?? finished.message;
  }
  return error === undefined ? { messages } : { messages, error };
}

/** llhttp's fixed method list (RFC 9110 allows any token as a method). */
export const LLHTTP_METHODS: ReadonlySet<string> = new Set(common.methods);
