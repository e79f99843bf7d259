// What the proxy does under resource pressure, modelled on Envoy's overload manager
// (source/server/overload_manager_impl.cc): resource monitors give a pressure from 0 to 1, and
// actions trigger at thresholds. Pure logic; overload-monitor.ts samples the process.
//
// Skiff's actions, in Envoy's names:
// - envoy.overload_actions.reduce_timeouts at `shedIdle`: connections with no request in flight
//   are closed, so idle sockets make room for ones that carry traffic;
// - envoy.overload_actions.stop_accepting_requests and reject_incoming_connections at `refuse`:
//   new requests get 503 and new connections are closed at once.
// The admin port (/ready, /stats) is not a data listener and takes part in none of this: the
// thresholds leave it file descriptors to answer with.

export interface ResourceSample {
  openFiles: number;
  maxOpenFiles: number;
  heapUsed: number;
  heapLimit: number;
}

export interface OverloadThresholds {
  /** Pressure at which idle downstream connections are closed (default 0.80). */
  shedIdle: number;
  /** Pressure at which new connections and requests are refused (default 0.90). */
  refuse: number;
}

export const DEFAULT_OVERLOAD_THRESHOLDS: OverloadThresholds = { shedIdle: 0.8, refuse: 0.9 };

export type OverloadLevel = 'normal' | 'shed-idle' | 'refuse';

export interface OverloadState {
  level: OverloadLevel;
  /** The highest pressure and the resource it comes from. */
  pressure: number;
  resource: 'open files' | 'heap';
}

export function overloadState(sample: ResourceSample, thresholds: OverloadThresholds = DEFAULT_OVERLOAD_THRESHOLDS): OverloadState {
  const files = sample.maxOpenFiles > 0 ? sample.openFiles / sample.maxOpenFiles : 0;
  const heap = sample.heapLimit > 0 ? sample.heapUsed / sample.heapLimit : 0;
  const pressure = Math.max(files, heap);
  const resource = files >= heap ? 'open files' : 'heap';
  const level: OverloadLevel = pressure >= thresholds.refuse ? 'refuse' : pressure >= thresholds.shedIdle ? 'shed-idle' : 'normal';
  return { level, pressure, resource };
}
