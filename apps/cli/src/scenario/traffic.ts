// Steady traffic through the gateway while a scenario runs, as users would send it: a fixed
// rate whatever the answers do, each answer counted by the reviews version that served it
// (the product JSON names it) or by its failure. Windows are read and reset per step.
import { productOutcome } from './mesh-io.js';
import { percentile } from './percentile.js';

export interface TrafficWindow {
  sent: number;
  /** Answers by reviews version ("v1", "v2"), or "HTTP 502", "error" for failures. */
  byOutcome: Record<string, number>;
  p99Ms: number | undefined;
}

export class SteadyTraffic {
  readonly #url: string;
  readonly #timer: NodeJS.Timeout;
  #window: { sent: number; byOutcome: Record<string, number>; latencies: number[] } = { sent: 0, byOutcome: {}, latencies: [] };
  #inFlight = new Set<Promise<void>>();

  constructor(url: string, ratePerSecond: number) {
    this.#url = url;
    this.#timer = setInterval(() => this.#send(), Math.max(1, Math.round(1000 / ratePerSecond)));
  }

  #send(): void {
    this.#window.sent++;
    const t0 = performance.now();
    const done = productOutcome(this.#url)
      .then((outcome) => {
        const window = this.#window;
        window.byOutcome[outcome] = (window.byOutcome[outcome] ?? 0) + 1;
        window.latencies.push(performance.now() - t0);
      });
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  /** The answers of the current window so far, without starting a new one. */
  peek(): Omit<TrafficWindow, 'p99Ms'> {
    return { sent: this.#window.sent, byOutcome: { ...this.#window.byOutcome } };
  }

  /** What was answered since the last call (requests still in flight count in the next window). */
  takeWindow(): TrafficWindow {
    const w = this.#window;
    this.#window = { sent: 0, byOutcome: {}, latencies: [] };
    return { sent: w.sent, byOutcome: w.byOutcome, p99Ms: w.latencies.length > 0 ? percentile(w.latencies, 0.99) : undefined };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#inFlight);
  }
}
