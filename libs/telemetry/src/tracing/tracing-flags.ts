// The tracing flags every proxy process shares (sidecar and gateway), parsed in one place.

export interface TracingFlags {
  /** OTLP/HTTP traces URL; undefined: tracing off. */
  endpoint?: string;
  /** Share of new traces sampled, 0-100. */
  samplingPercent: number;
  /** A file holding the bearer token the trace endpoint asks for (the control plane's mesh token). */
  tokenFile?: string;
}

export const TRACING_HELP = `  --trace-endpoint <url>    send spans (OTLP/HTTP) here, e.g. http://127.0.0.1:15014/v1/traces
                            (the control plane's trace store) or a collector/Jaeger at :4318;
                            also OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT
                            (default: none: no spans, trace headers pass through untouched)
  --trace-sampling <pct>    share of new traces sampled, 0-100; a caller's decision is kept
                            (default: 100, Istio's demo profile)
  --trace-token-file <file> send "authorization: Bearer <the file's token>" with spans: the
                            control plane's trace store takes them only with its mesh token`;

export function parseTracingFlags(endpoint: string | undefined, sampling: string | undefined, env: NodeJS.ProcessEnv = process.env, tokenFile: string | undefined = env['SKIFF_TRACE_TOKEN_FILE']): TracingFlags {
  const url = endpoint ?? otlpTracesEndpointFromEnv(env);
  if (url !== undefined) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new Error(`--trace-endpoint must be an http(s) URL such as http://127.0.0.1:4318/v1/traces, got "${url}"`);
    }
  }
  const percent = sampling === undefined ? 100 : Number(sampling);
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new Error(`--trace-sampling must be a percentage 0-100, got "${sampling}"`);
  return { ...(url ? { endpoint: url } : {}), samplingPercent: percent, ...(tokenFile ? { tokenFile } : {}) };
}

/** The OTLP traces URL from the standard OpenTelemetry environment variables, if set. */
export function otlpTracesEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  return base ? `${base.replace(/\/$/, '')}/v1/traces` : undefined;
}
