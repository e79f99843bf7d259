// A one-shot abort signal for undici requests. undici takes any EventEmitter with `aborted` and
// an 'abort' event as a signal; an AbortController costs an EventTarget per request, and Node
// builds a DOMException on every abort() — together about 5% of a sidecar's CPU at full load.
import { EventEmitter } from 'node:events';

export class AbortLatch extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}
