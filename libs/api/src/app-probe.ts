// How a sidecar checks the app behind it (its --app-probe, a WorkloadEntry's skiff.dev/probe,
// `skiff run --probe`): one spelling, read in one place.

export type AppProbe = { kind: 'http'; path: string } | { kind: 'tcp' } | { kind: 'none' };

/** "http:/healthz", "http" (= http:/), "tcp", "none"; anything else throws, saying what to write. */
export function parseAppProbe(spec: string): AppProbe {
  if (spec === 'tcp') return { kind: 'tcp' };
  if (spec === 'none') return { kind: 'none' };
  if (spec === 'http') return { kind: 'http', path: '/' };
  if (spec.startsWith('http:')) {
    const path = spec.slice(5);
    if (!path.startsWith('/')) throw new Error(`an HTTP probe is http:/<path>, e.g. http:/healthz, got "${spec}"`);
    return { kind: 'http', path };
  }
  throw new Error(`the app probe is http:/<path>, tcp or none, got "${spec}"`);
}
