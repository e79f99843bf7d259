// Reads OTLP/HTTP JSON (ExportTraceServiceRequest) into the dashboard's span shape, so the
// control plane can stand in for a collector when none is configured. Only the JSON encoding:
// proxies are configured by Skiff and send JSON. Ids are hex in OTLP JSON (unlike proto3 JSON's
// base64); times are nanosecond strings.
import type { TraceSpan } from './mesh-view.js';

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

const KINDS: TraceSpan['kind'][] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];
const HEX = /^[0-9a-f]+$/i;

function attributeValue(value: OtlpAnyValue | undefined): string | number | boolean | undefined {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return undefined;
}

function attributes(list: OtlpKeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) {
    const v = attributeValue(kv.value);
    if (v !== undefined) out[kv.key] = v;
  }
  return out;
}

/** Nanoseconds (a decimal string, beyond 2^53) to fractional milliseconds. */
function nanosToMs(nanos: string | number | undefined): number {
  if (nanos === undefined) return 0;
  const s = String(nanos);
  if (s.length <= 6) return Number(s) / 1e6;
  return Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6;
}

/** The spans of one export request; throws with what is wrong when it is not OTLP JSON. */
export function spansFromOtlpJson(body: unknown): TraceSpan[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as OtlpRequest).resourceSpans)) {
    throw new Error('not an OTLP ExportTraceServiceRequest: expected {"resourceSpans": [...]}');
  }
  const out: TraceSpan[] = [];
  for (const rs of (body as OtlpRequest).resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        if (!span.traceId || !span.spanId || !HEX.test(span.traceId) || !HEX.test(span.spanId)) continue;
        const start = nanosToMs(span.startTimeUnixNano);
        const attrs = attributes(span.attributes);
        const code = attrs['http.status_code'];
        out.push({
          traceId: span.traceId.toLowerCase(),
          spanId: span.spanId.toLowerCase(),
          ...(span.parentSpanId && HEX.test(span.parentSpanId) && !/^0+$/.test(span.parentSpanId) ? { parentSpanId: span.parentSpanId.toLowerCase() } : {}),
          name: span.name ?? '',
          service,
          kind: KINDS[span.kind ?? 0] ?? 'internal',
          startTime: start,
          durationMs: Math.max(0, nanosToMs(span.endTimeUnixNano) - start),
          attributes: attrs,
          error: span.status?.code === 2 || (typeof code === 'number' && code >= 500),
        });
      }
    }
  }
  return out;
}
