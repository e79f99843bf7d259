// One HTTP filter, in Envoy's shape (envoy/http/filter.h): the request passes through every
// filter's decode steps in order, the response through their encode steps in reverse. A decode
// step continues (returns nothing), answers locally (returns a reply: later filters never see
// the request), or waits (returns a promise of either). The last filter, the router, takes the
// stream over (returns TAKEN). Every listener — inbound, outbound, gateway — runs a chain of these.
import type { LocalReply } from '../core/errors.js';
import type { HttpExchange } from './http-exchange.js';

/** A local answer, with any extra response headers (e.g. www-authenticate, location). */
export type LocalAnswer = LocalReply & { headers?: Record<string, string> };

/** The filter now owns the exchange: it will answer (the router). */
export const TAKEN = Symbol('taken');

export type DecodeResult = undefined | LocalAnswer | typeof TAKEN;

/** A response head on its way to the client, which encode steps may edit. */
export interface ResponseHeaders {
  status: number;
  /** End-to-end fields, flat [name, value, …], lowercased names. */
  headers: string[];
}

export interface HttpFilter {
  readonly name: string;
  decodeHeaders?(x: HttpExchange): DecodeResult | Promise<DecodeResult>;
  /** Request body bytes as they pass (observe only: no filter here rewrites bodies yet). */
  decodeData?(x: HttpExchange, chunk: Buffer): void;
  decodeTrailers?(x: HttpExchange, trailers: readonly string[]): void;
  encodeHeaders?(x: HttpExchange, response: ResponseHeaders): void;
  encodeData?(x: HttpExchange, chunk: Buffer): void;
  encodeTrailers?(x: HttpExchange, trailers: readonly string[]): void;
  /** The exchange is over, whatever happened (access log, metrics and traces live here). */
  onComplete?(x: HttpExchange): void;
}
