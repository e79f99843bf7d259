// Every destination a VirtualService sends traffic to (routes and mirrors), with its path.
import type { Destination, Loaded, VirtualService } from '@skiff/api';

export interface DestinationRef {
  destination: Destination;
  /** e.g. ["spec", "http", 1, "route", 0, "destination"] */
  path: PropertyKey[];
}

export function destinationsOf(vs: Loaded<VirtualService>): DestinationRef[] {
  const out: DestinationRef[] = [];
  (vs.spec.http ?? []).forEach((http, i) => {
    (http.route ?? []).forEach((r, j) => out.push({ destination: r.destination, path: ['spec', 'http', i, 'route', j, 'destination'] }));
    if (http.mirror) out.push({ destination: http.mirror, path: ['spec', 'http', i, 'mirror'] });
  });
  return out;
}
