// The router's work for one request, as Envoy's UpstreamRequest and retry state do it: pick a
// host, admit the attempt through the circuit breaker, send the head and stream the body (the
// replayable copy on a retry), and on the response head decide at once whether to relay it or
// retry. Per-try and route timeouts, outlier accounting, and the client leaving all end here.
// Callbacks, not promises: the common request costs no microtask between its bytes.
import type { Socket } from 'node:net';
import { grpcToHttpStatus, type RetryPolicy } from '@skiff/api';
import { effectiveTimeoutMs, grpcTimeoutMs } from '../core/steps/grpc-timeout.js';
import type { Host } from '../cluster/index.js';
import type { ClusterRuntime } from '../core/cluster-runtime.js';
import { overflow, upstreamConnectFailure, upstreamReset, upstreamTimeout, type LocalReply } from '../core/errors.js';
import { isRetriable, retryBackoffMs, type AttemptOutcome } from '../core/steps/retry-policy.js';
import { PEER_IDENTITY_ERROR } from '../core/upstream-pools.js';
import type { ResponseEvents, UpstreamError } from '../http1/client-connection.js';
import type { UpstreamConnection, UpstreamPool } from './upstream-connection.js';
import { endToEnd, listOf } from '../http1/field-list.js';
import type { ResponseHead } from '../http1/head-parser.js';
import type { HttpExchange } from './http-exchange.js';
import type { LocalAnswer } from './http-filter.js';
import type { BodySink } from './request-body.js';
import { Tunnel, TUNNEL_FLAGS } from '../upgrade/tunnel.js';

/** Where one attempt goes. */
export interface AttemptTarget {
  pool: UpstreamPool;
  host?: Host;
  /** Extra request fields for this attempt (peer metadata over mTLS). */
  extraHeaders?: readonly string[];
}

export interface UpstreamPlan {
  /** Breaker, outlier detection and host state; none for the inbound app and passthrough. */
  cluster?: ClusterRuntime;
  retries?: RetryPolicy;
  /** The route's timeout (Envoy's route timeout: from the request to the end of the response head). */
  timeoutMs?: number;
  /** Picks the next attempt's host (not one already tried, where possible), or answers. */
  pick(tried: readonly Host[]): AttemptTarget | LocalAnswer;
  random: () => number;
}

interface Attempt {
  target: AttemptTarget;
  connection: UpstreamConnection | undefined;
  abort: AbortController | undefined;
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  released: boolean;
  holdsRetry: boolean;
  sentAt: number;
  /** The response is being relayed to the client. */
  relaying: boolean;
}

export class UpstreamRequest {
  readonly #x: HttpExchange;
  readonly #plan: UpstreamPlan;
  readonly #maxAttempts: number;
  readonly #deadline: number;
  readonly #tried: Host[] = [];
  #headers: string[] | undefined;
  #attempts = 0;
  #current: Attempt | undefined;
  #backoff: NodeJS.Timeout | undefined;
  #done = false;

  constructor(x: HttpExchange, plan: UpstreamPlan) {
    this.#x = x;
    this.#plan = plan;
    this.#maxAttempts = 1 + (plan.retries?.attempts ?? 0);
    // A gRPC client's deadline lowers the route's timeout (Istio sets max_grpc_timeout to it).
    const timeoutMs = effectiveTimeoutMs(plan.timeoutMs, x.grpc ? grpcTimeoutMs(x.received['grpc-timeout']) : undefined);
    this.#deadline = timeoutMs ? Date.now() + timeoutMs : Infinity;
  }

  start(): void {
    this.#x.stream.onReset = () => this.#clientGone();
    this.#attempt(false);
  }

  #attempt(isRetry: boolean): void {
    const plan = this.#plan;
    const picked = plan.pick(this.#tried);
    if (!('pool' in picked)) return this.#finishWith(picked, isRetry);
    const cluster = plan.cluster;
    if (cluster && !cluster.tryAcquire()) return this.#finishWith({ ...overflow(), headers: { 'x-envoy-overloaded': 'true' } }, isRetry);
    this.#attempts++;
    const host = picked.host;
    if (host) {
      this.#tried.push(host);
      host.active++;
    }
    const attempt: Attempt = { target: picked, connection: undefined, abort: undefined, timer: undefined, timedOut: false, released: false, holdsRetry: isRetry, sentAt: 0, relaying: false };
    this.#current = attempt;
    const perTry = plan.retries?.perTryTimeoutMs ?? 0;
    const budget = Math.min(this.#deadline - Date.now(), perTry > 0 ? perTry : Infinity);
    if (Number.isFinite(budget)) attempt.timer = setTimeout(() => this.#onTimeout(attempt), Math.max(0, budget));
    const free = picked.pool.tryAcquire();
    if (free) return this.#send(attempt, free);
    attempt.abort = new AbortController();
    picked.pool.acquire(attempt.abort.signal).then(
      (connection) => {
        if (!this.#live(attempt)) return connection.destroy();
        this.#send(attempt, connection);
      },
      (error: Error & { code?: string }) => {
        if (!this.#live(attempt)) return;
        // A peer that is not who the control plane says is a TLS failure, not a refused port.
        const reason = error.code === PEER_IDENTITY_ERROR || /certificate|TLS|SSL/i.test(error.message) ? `TLS error: ${error.message}` : 'connection failure';
        this.#failed(attempt, { connectFailure: true }, upstreamConnectFailure(reason));
      },
    );
  }

  #send(attempt: Attempt, connection: UpstreamConnection): void {
    const x = this.#x;
    attempt.connection = connection;
    attempt.sentAt = performance.now();
    this.#headers ??= listOf(x.headers);
    const extra = attempt.target.extraHeaders;
    const headers = extra ? [...this.#headers, ...extra] : this.#headers;
    connection.send({ method: x.head.method, path: x.path, headers, upgrade: x.upgrade }, x.body.framing, this.#responseEvents(attempt, connection));
    if (x.body.empty) return;
    const sink: BodySink = {
      data: (chunk) => {
        if (connection.write(chunk)) return true;
        connection.onDrain(() => {
          if (this.#current === attempt) x.body.resumeReading();
        });
        return false;
      },
      end: (trailers) => connection.end(trailers),
    };
    x.body.sendTo(sink);
  }

  #responseEvents(attempt: Attempt, connection: UpstreamConnection): ResponseEvents {
    const x = this.#x;
    return {
      head: (response: ResponseHead) => {
        if (!this.#live(attempt)) return;
        x.upstreamServiceTimeMs = performance.now() - attempt.sentAt;
        const host = attempt.target.host;
        // A gRPC answer's status in its head counts as its HTTP equivalent (Envoy's router does
        // this for outlier detection) and is what gRPC retry conditions read.
        const grpcStatus = x.grpc ? grpcStatusIn(response.headers) : undefined;
        if (grpcStatus !== undefined) x.grpcStatus = grpcStatus;
        const outcome = grpcStatus === undefined ? { status: response.status } : { status: response.status, grpcStatus };
        if (host) this.#plan.cluster?.record(host, { status: grpcStatus === undefined ? response.status : grpcToHttpStatus(grpcStatus) });
        if (response.status === 101) {
          // The upgrade was accepted: the route's timeout ends here, the tunnel's idle timeout
          // takes over (upgraded() below, once the connection has handed its socket over).
          this.#clearTimer(attempt);
          attempt.relaying = true;
          x.respond(101, [...endToEnd(response.headers), 'connection', 'upgrade', 'upgrade', response.upgrade as string], false);
          return;
        }
        if (this.#wantsRetry(outcome)) {
          if (this.#retryAdmitted(attempt)) {
            // Envoy resets the upstream request it will not use; the connection goes with it.
            this.#endAttempt(attempt, true);
            return this.#scheduleRetry();
          }
          // Retries were wanted and none may run: the last answer stands (Envoy's URX).
          x.flag = 'URX';
        } else if (this.#attempts > 1 && isRetriable(this.#plan.retries, outcome)) x.flag = 'URX';
        attempt.relaying = true;
        x.respond(response.status, endToEnd(response.headers), response.endStream === true, response.chunked ? -1 : response.contentLength);
      },
      data: (chunk: Buffer) => {
        if (!attempt.relaying || !this.#live(attempt)) return;
        x.responseMessages?.feed(chunk);
        if (!x.stream.write(chunk)) {
          connection.pause();
          x.stream.onDrain(() => {
            if (this.#current === attempt && !this.#done) connection.resume();
          });
        }
      },
      end: (trailers: string[]) => {
        if (!attempt.relaying || !this.#live(attempt)) return;
        if (x.grpc && trailers.length > 0) x.grpcStatus = grpcStatusIn(trailers) ?? x.grpcStatus;
        x.stream.end(trailers);
        this.#endAttempt(attempt, false);
        this.#complete();
      },
      error: (error: UpstreamError) => {
        if (!this.#live(attempt)) return;
        // The answer was cut off after it began: Envoy's UC (upstream connection termination).
        if (attempt.relaying) return this.#cutShort(attempt, 'UC');
        if (error.kind === 'refused') return this.#failed(attempt, { refusedStream: true }, upstreamReset('remote refused stream reset'));
        const reason = error.kind === 'protocol' ? 'protocol error' : 'connection termination';
        this.#failed(attempt, { reset: true }, upstreamReset(reason));
      },
      upgraded: (socket, pending) => {
        if (!this.#live(attempt) || !attempt.relaying) return socket.destroy();
        this.#tunnel(attempt, socket, pending);
      },
    };
  }

  /** Both connections leave HTTP/1; the exchange completes when the tunnel closes, with its bytes. */
  #tunnel(attempt: Attempt, socket: Socket, pending: Buffer): void {
    const x = this.#x;
    x.stream.onReset = undefined;
    const downstream = x.stream.takeOver();
    new Tunnel(downstream, { socket, pending }, downstream.idleTimeoutMs, (result) => {
      x.stream.bytesReceived += result.bytesUp;
      x.stream.bytesSent += result.bytesDown;
      x.flag = TUNNEL_FLAGS[result.ending];
      this.#endAttempt(attempt, false);
      this.#complete();
    });
  }

  /** An attempt ended without a response: count it, then retry or answer. */
  #failed(attempt: Attempt, outcome: AttemptOutcome, reply: LocalReply): void {
    const host = attempt.target.host;
    if (host) this.#plan.cluster?.record(host, outcome);
    const overall = attempt.timedOut && Date.now() >= this.#deadline - 1;
    const retry = !overall && this.#wantsRetry(outcome) && this.#retryAdmitted(attempt);
    this.#endAttempt(attempt, true);
    if (retry) return this.#scheduleRetry();
    this.#finishWith(reply, false);
  }

  // Envoy's route and per-try timeouts run until the response is complete
  // (route_components.proto: RouteAction.timeout, RetryPolicy.per_try_timeout).
  #onTimeout(attempt: Attempt): void {
    attempt.timer = undefined;
    if (!this.#live(attempt)) return;
    attempt.timedOut = true;
    if (attempt.relaying) return this.#cutShort(attempt, 'UT');
    this.#failed(attempt, { perTryTimeout: true }, upstreamTimeout());
  }

  /** The answer began and cannot be finished: the client's stream is reset. */
  #cutShort(attempt: Attempt, flag: string): void {
    this.#x.flag = flag;
    this.#x.stream.reset();
    this.#endAttempt(attempt, true);
    this.#complete();
  }

  #live(attempt: Attempt): boolean {
    return this.#current === attempt && !attempt.released && !this.#done;
  }

  #wantsRetry(outcome: AttemptOutcome): boolean {
    return this.#attempts < this.#maxAttempts && this.#x.body.replayable && isRetriable(this.#plan.retries, outcome);
  }

  /**
   * DestinationRule http.maxRetries (Envoy's max_retries breaker: retries in flight to the
   * cluster), and the route's deadline. A retry that itself failed hands its slot on to the next.
   */
  #retryAdmitted(attempt: Attempt): boolean {
    const breaker = this.#plan.cluster?.breaker;
    const reuse = attempt.holdsRetry;
    if (!reuse && breaker && !breaker.tryAcquireRetry()) return false;
    const wait = retryBackoffMs(this.#attempts - 1, this.#plan.random);
    if (Date.now() + wait >= this.#deadline) {
      if (!reuse) breaker?.releaseRetry();
      return false;
    }
    attempt.holdsRetry = false;
    this.#pendingBackoff = wait;
    return true;
  }

  #pendingBackoff = 0;

  #scheduleRetry(): void {
    const wait = this.#pendingBackoff;
    if (wait <= 0) return this.#attempt(true);
    this.#backoff = setTimeout(() => {
      this.#backoff = undefined;
      if (!this.#done) this.#attempt(true);
    }, wait);
  }

  /** Releases what the attempt holds; `abandon` destroys its connection (the exchange is cut short). */
  #endAttempt(attempt: Attempt, abandon: boolean): void {
    this.#clearTimer(attempt);
    if (attempt.abort) attempt.abort.abort();
    if (abandon && attempt.connection && !attempt.connection.closed) attempt.connection.destroy();
    this.#x.body.detach();
    if (attempt.released) return;
    attempt.released = true;
    const host = attempt.target.host;
    if (host) host.active--;
    this.#plan.cluster?.release();
    if (attempt.holdsRetry) this.#plan.cluster?.breaker.releaseRetry();
  }

  #clearTimer(attempt: Attempt): void {
    if (attempt.timer) {
      clearTimeout(attempt.timer);
      attempt.timer = undefined;
    }
  }

  /** No (further) attempt: answer locally. A refused retry slot is given back by its attempt. */
  #finishWith(reply: LocalAnswer, retrySlotHeld: boolean): void {
    if (retrySlotHeld) this.#plan.cluster?.breaker.releaseRetry();
    if (this.#done) return;
    this.#done = true;
    this.#x.stream.onReset = undefined;
    this.#x.answer(reply);
  }

  #clientGone(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#backoff) clearTimeout(this.#backoff);
    if (this.#current) this.#endAttempt(this.#current, true);
    this.#x.flag = 'DC';
    this.#x.complete();
  }

  #complete(): void {
    this.#done = true;
    this.#x.stream.onReset = undefined;
    this.#x.complete();
  }
}

function grpcStatusIn(fields: readonly string[]): number | undefined {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== 'grpc-status') continue;
    const code = Number(fields[i + 1]);
    return Number.isInteger(code) && code >= 0 ? code : undefined;
  }
  return undefined;
}
