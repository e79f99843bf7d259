// One request and its answer as the filter chain sees it: the head as received (read-only), the
// copy that will be forwarded (edited by filters), what the filters learn on the way (route,
// cluster, host, flags) and the ways to answer. The request event is built from it once, when the
// exchange completes.
import { httpToGrpcStatus, type Route, type RouteAction, type RouteMatch, type WeightedCluster } from '@skiff/api';
import type { HopSpan } from '@skiff/telemetry';
import type { CompiledSnapshot } from '../core/compiled-snapshot.js';
import type { HeaderMap } from '../core/hop-by-hop.js';
import type { RequestEvent } from '../core/request-event.js';
import type { RequestTarget } from '../core/request-target.js';
import type { HeaderOperations } from '@skiff/routing';
import type { RequestHead } from '../http1/head-parser.js';
import type { DownstreamStream } from './downstream-stream.js';
import type { FilterChain } from './filter-chain.js';
import type { LocalAnswer, ResponseHeaders } from './http-filter.js';
import { RequestBody } from './request-body.js';
import { GrpcMessageCounter } from '../core/steps/grpc-frames.js';

export type ForwardAction = Extract<RouteAction, { kind: 'route' }>;

export class HttpExchange {
  readonly startTime = Date.now();
  readonly t0 = performance.now();
  readonly head: RequestHead;
  /** The forwarded request's path (rewrites and token removal change it). */
  path: string;
  /** Status of the answer sent (0 when none was), and Envoy's response flags. */
  status = 0;
  flag = '-';
  /** A fault-injection delay ran (Envoy's DI flag, reported next to the outcome's flag). */
  delayInjected = false;
  route?: string;
  upstreamCluster?: string;
  upstreamHost?: string;
  /** From sending the request upstream to its response head (Envoy's upstream service time). */
  upstreamServiceTimeMs?: number;
  source: RequestEvent['source'];
  destination: RequestEvent['destination'] = {};
  /** The gRPC status the answer carried (response head or trailers), when it was a gRPC answer. */
  grpcStatus: number | undefined = undefined;
  /** gRPC messages each way, counted as they pass (gRPC requests only). */
  requestMessages: GrpcMessageCounter | undefined;
  responseMessages: GrpcMessageCounter | undefined;
  /** The hop this exchange reports was mutual TLS. */
  mtls = false;
  span?: HopSpan;
  /** Set by route matching, for the filters after it. */
  action?: ForwardAction;
  routeMatch?: RouteMatch;
  routeHeaders?: Route['headers'];
  weighted?: WeightedCluster;
  /** The upgrade offered upstream (`websocket`): on 101 the exchange becomes a tunnel (upgrade/). */
  upgrade: string | undefined = undefined;
  /** Istio's PassthroughCluster: no route, forwarded to where the client asked. */
  passthrough = false;
  /** Response header operations of the matched route and cluster. */
  readonly responseOps: HeaderOperations[] = [];
  readonly body: RequestBody;
  /** Told once when the exchange is over (the listener's in-flight count). */
  onComplete: (() => void) | undefined;
  #completed = false;

  constructor(
    readonly stream: DownstreamStream,
    /** The config in force when the request arrived; a push never changes a request half-way. */
    readonly snapshot: CompiledSnapshot | undefined,
    readonly chain: FilterChain,
    /** The request's headers as received (lowercased names), for matching and policy. */
    readonly received: HeaderMap,
    /** The copy that will be forwarded: no hop-by-hop or framing fields. */
    readonly headers: HeaderMap,
    /** Where the client asked to go, as received. */
    readonly requested: RequestTarget,
    reporterSource: RequestEvent['source'],
  ) {
    this.head = stream.head;
    this.path = requested.path;
    this.source = reporterSource;
    let observe = chain.observesRequestData ? (chunk: Buffer) => chain.decodeData(this, chunk) : undefined;
    if (this.grpc) {
      const requestMessages = (this.requestMessages = new GrpcMessageCounter());
      this.responseMessages = new GrpcMessageCounter();
      const chainObserve = observe;
      observe = (chunk) => {
        requestMessages.feed(chunk);
        chainObserve?.(chunk);
      };
    }
    this.body = new RequestBody(stream, observe);
  }

  get completed(): boolean {
    return this.#completed;
  }

  /** Sends the response head through the encode filters (in reverse order) to the client. */
  respond(status: number, headers: string[], endStream: boolean, contentLength = -1, from = this.chain.length): void {
    const response: ResponseHeaders = { status, headers };
    this.chain.encodeHeaders(this, response, from);
    this.status = response.status;
    this.stream.respond(response.status, response.headers, endStream, contentLength);
  }

  /** A gRPC request (Envoy's Grpc::Common::isGrpcRequestHeaders): its local answers are gRPC statuses. */
  get grpc(): boolean {
    return (this.#grpc ??= isGrpcContentType(this.received['content-type']));
  }

  #grpc: boolean | undefined;

  /** An answer the proxy makes itself; a filter passes its own index, so only those before it see the answer. */
  answer(reply: LocalAnswer, from = this.chain.length): void {
    this.flag = reply.flag;
    if (this.stream.responseStarted) {
      // Too late for a status: the only way to say the answer failed is to cut it off.
      this.stream.reset();
      this.complete();
      return;
    }
    if (this.grpc) return this.#answerGrpc(reply, from);
    const body = Buffer.from(reply.body);
    const fields = ['content-type', 'text/plain'];
    if (reply.headers) for (const name in reply.headers) fields.push(name, reply.headers[name] as string);
    this.respond(reply.status, fields, body.length === 0, body.length, from);
    if (body.length > 0) {
      this.stream.write(body);
      this.stream.end();
    }
    this.complete();
  }

  /**
   * A gRPC client reads a status, not an HTTP one: Envoy answers a gRPC request with HTTP 200,
   * grpc-status (the reply's own, else mapped from its HTTP status) and the body as grpc-message,
   * all in one trailers-only head (source/common/http/utility.cc, sendLocalReply).
   */
  #answerGrpc(reply: LocalAnswer, from: number): void {
    const status = reply.grpcStatus ?? httpToGrpcStatus(reply.status);
    const fields = ['content-type', 'application/grpc', 'grpc-status', String(status)];
    const message = reply.body.trimEnd();
    if (message.length > 0) fields.push('grpc-message', percentEncode(message));
    if (reply.headers) for (const name in reply.headers) fields.push(name, reply.headers[name] as string);
    this.respond(200, fields, true, -1, from);
    this.grpcStatus = status;
    this.complete();
  }

  /** Once, when the exchange is over: the chain's observers run. */
  complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    this.onComplete?.();
    this.chain.complete(this);
  }
}

/** gRPC's grpc-message encoding: bytes outside printable ASCII, and '%', as %XX (PROTOCOL-HTTP2.md). */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text)) out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

function isGrpcContentType(type: string | string[] | undefined): boolean {
  if (typeof type !== 'string' || !type.startsWith('application/grpc')) return false;
  const next = type.charCodeAt(16);
  return type.length === 16 || next === 0x2b || next === 0x3b; // "+proto", "; charset=…"
}
