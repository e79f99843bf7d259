// Deadlines for many connections without a timer each: every connection holds a deadline, and
// one sweep four times a second closes those past theirs. Arming a deadline is a store of a
// number (a node timer per request phase cost a forwarder ~10% of its throughput), at the price
// of up to 250 ms of lateness, which no timeout here is sensitive to.

export interface HasDeadline {
  /** When the connection must have moved on (coarse ms clock), or Infinity. */
  deadline: number;
  onDeadline(): void;
}

const TICK_MS = 250;
const watched = new Set<HasDeadline>();
let timer: NodeJS.Timeout | undefined;
let now = Date.now();

/** The sweep's clock: Date.now() as of the last tick (or the last call to watch). */
export function coarseNow(): number {
  return now;
}

export function watch(connection: HasDeadline): void {
  watched.add(connection);
  now = Date.now();
  if (!timer) {
    timer = setInterval(sweep, TICK_MS);
    timer.unref();
  }
}

export function unwatch(connection: HasDeadline): void {
  watched.delete(connection);
  if (watched.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

function sweep(): void {
  now = Date.now();
  for (const connection of watched) {
    if (connection.deadline <= now) {
      connection.deadline = Infinity;
      connection.onDeadline();
    }
  }
}
