// A listener's filters in order, built once per config push (filters that have nothing to do
// under that config are left out, so a mesh without JWT rules pays nothing for them), and the
// loop that runs a request through them. Decode steps run synchronously until one returns a
// promise, so the common request never waits on a microtask it does not need.
import type { Logger } from '@skiff/telemetry';
import type { HttpExchange } from './http-exchange.js';
import { TAKEN, type DecodeResult, type HttpFilter, type ResponseHeaders } from './http-filter.js';

export class FilterChain {
  readonly #filters: readonly HttpFilter[];
  readonly #decodeData: readonly HttpFilter[];
  readonly #onComplete: readonly HttpFilter[];

  constructor(
    filters: ReadonlyArray<HttpFilter | undefined>,
    private readonly logger: Logger,
  ) {
    this.#filters = filters.filter((f): f is HttpFilter => f !== undefined);
    this.#decodeData = this.#filters.filter((f) => f.decodeData);
    this.#onComplete = this.#filters.filter((f) => f.onComplete);
  }

  get length(): number {
    return this.#filters.length;
  }

  get names(): string[] {
    return this.#filters.map((f) => f.name);
  }

  get observesRequestData(): boolean {
    return this.#decodeData.length > 0;
  }

  /** Runs the request's head through the decode steps, from the first filter. */
  run(x: HttpExchange): void {
    this.#decodeFrom(x, 0);
  }

  #decodeFrom(x: HttpExchange, start: number): void {
    const filters = this.#filters;
    for (let i = start; i < filters.length; i++) {
      const step = filters[i]?.decodeHeaders;
      if (!step) continue;
      let result: DecodeResult | Promise<DecodeResult>;
      try {
        result = step.call(filters[i], x);
      } catch (error) {
        return this.#failed(x, error, i);
      }
      if (result === undefined) continue;
      if (result === TAKEN) return;
      if (result instanceof Promise) {
        result.then(
          (settled) => {
            if (x.completed) return;
            // The client may have left while the filter waited (a JWKS fetch, a fault delay).
            if (x.stream.socket.destroyed) {
              x.flag = 'DC';
              return x.complete();
            }
            if (settled === TAKEN) return;
            if (settled === undefined) return this.#decodeFrom(x, i + 1);
            x.answer(settled, i);
          },
          (error: unknown) => this.#failed(x, error, i),
        );
        return;
      }
      return x.answer(result, i);
    }
    // No filter took the request: a chain without a router is a wiring mistake.
    this.#failed(x, new Error('no filter in the chain answered the request'), filters.length);
  }

  #failed(x: HttpExchange, error: unknown, at: number): void {
    this.logger.error({ filter: this.#filters[at]?.name, error: error instanceof Error ? error.stack : String(error) }, 'request failed inside the proxy');
    if (!x.completed) x.answer({ status: 500, body: 'internal proxy error\n', flag: 'DPE' }, at);
  }

  decodeData(x: HttpExchange, chunk: Buffer): void {
    for (const filter of this.#decodeData) filter.decodeData?.(x, chunk);
  }

  /** Encode steps run from the filter before `from` back to the first. */
  encodeHeaders(x: HttpExchange, response: ResponseHeaders, from: number): void {
    const filters = this.#filters;
    for (let i = Math.min(from, filters.length) - 1; i >= 0; i--) filters[i]?.encodeHeaders?.(x, response);
  }

  complete(x: HttpExchange): void {
    for (const filter of this.#onComplete) {
      try {
        filter.onComplete?.(x);
      } catch (error) {
        this.logger.error({ filter: filter.name, error: error instanceof Error ? error.stack : String(error) }, 'an observer failed');
      }
    }
  }
}
