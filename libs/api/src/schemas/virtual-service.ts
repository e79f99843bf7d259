// VirtualService (networking.istio.io), field for field as Istio's reference names them.
// The second argument of istioObject lists Istio fields Skiff does not implement: they are
// reported as warnings and ignored, unlike misspelled fields, which are errors.
import { GRPC_STATUS_NAMES, grpcStatusOfName } from '../grpc-status.js';
import { z } from 'zod';
import { didYouMean } from '../suggest.js';
import { always, duration, hasMisspelling, exportTo, hostName, ipBlock, isRecord, istioObject, labelMap, PercentSchema, portNumber, resourceSchema, stringMatch } from './common.js';

export const PortSelectorSchema = istioObject({ number: portNumber });

export const DestinationSchema = istioObject({
  host: hostName({ allowWildcard: false }),
  subset: z.string().min(1).optional(),
  port: PortSelectorSchema.optional(),
});

export const VsHeaderOperationsSchema = istioObject({
  set: z.record(z.string(), z.string()).optional(),
  add: z.record(z.string(), z.string()).optional(),
  remove: z.array(z.string()).optional(),
});

export const VsHeadersSchema = istioObject({
  request: VsHeaderOperationsSchema.optional(),
  response: VsHeaderOperationsSchema.optional(),
});

export const HTTPMatchRequestSchema = istioObject(
  {
    name: z.string().optional(),
    uri: stringMatch().optional(),
    scheme: stringMatch().optional(),
    method: stringMatch().optional(),
    authority: stringMatch().optional(),
    headers: z.record(z.string().min(1), stringMatch({ allowEmpty: true })).optional(),
    withoutHeaders: z.record(z.string().min(1), stringMatch({ allowEmpty: true })).optional(),
    queryParams: z.record(z.string().min(1), stringMatch()).optional(),
    port: portNumber.optional(),
    sourceLabels: labelMap().optional(),
    gateways: z.array(z.string().min(1)).optional(),
    sourceNamespace: z.string().min(1).optional(),
    ignoreUriCase: z.boolean().optional(),
  },
  ['statPrefix'],
);

export const HTTPRouteDestinationSchema = istioObject({
  destination: DestinationSchema,
  weight: z.int().min(0).max(100).optional(),
  headers: VsHeadersSchema.optional(),
});

// Envoy's retry policies Istio accepts in retryOn, besides bare HTTP status codes.
export const RETRY_ON_POLICIES = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export const HTTPRetrySchema = istioObject(
  {
    attempts: z.int().min(0),
    perTryTimeout: duration().optional(),
    retryOn: z
      .string()
      .check(
        z.superRefine((s: string, ctx) => {
          for (const raw of s.split(',')) {
            const policy = raw.trim();
            if (/^\d{3}$/.test(policy) || (RETRY_ON_POLICIES as readonly string[]).includes(policy)) continue;
            ctx.addIssue({
              code: 'custom',
              message: `unknown retry policy ${JSON.stringify(policy)}${didYouMean(policy, RETRY_ON_POLICIES) || '; use Envoy policies like "5xx,connect-failure" or status codes like "503"'}`,
            });
          }
        }),
      )
      .optional(),
    retryRemoteLocalities: z.boolean().optional(),
  },
  ['retryIgnorePreviousHosts', 'backoff'],
);

export const HTTPFaultInjectionSchema = istioObject({
  delay: istioObject({ fixedDelay: duration(), percentage: PercentSchema.optional() }, ['exponentialDelay', 'percent']).optional(),
  abort: istioObject(
    {
      httpStatus: z.int().min(200).max(599).optional(),
      grpcStatus: z
        .string()
        .refine((name) => grpcStatusOfName(name) !== undefined, { message: `not a gRPC status name; use one of ${GRPC_STATUS_NAMES.join(', ')}` })
        .optional(),
      percentage: PercentSchema.optional(),
    },
    ['http2Error'],
  )
    .superRefine((a, ctx) => {
      // Istio's validation: an abort says exactly one of httpStatus, grpcStatus (or http2Error).
      if ((a.httpStatus === undefined) === (a.grpcStatus === undefined)) ctx.addIssue({ code: 'custom', message: 'an abort needs exactly one of httpStatus or grpcStatus' });
    }, always)
    .optional(),
}).superRefine((f, ctx) => {
  if (f.delay === undefined && f.abort === undefined) ctx.addIssue({ code: 'custom', message: 'fault needs a delay, an abort or both' });
}, always);

export const HTTPRewriteSchema = istioObject({ uri: z.string().optional(), authority: z.string().optional() }, ['uriRegexRewrite']);

export const HTTPRedirectSchema = istioObject(
  {
    uri: z.string().optional(),
    authority: z.string().optional(),
    port: portNumber.optional(),
    scheme: z.string().optional(),
    redirectCode: z.int().min(300).max(399).optional(),
  },
  ['derivePort'],
).superRefine((r, ctx) => {
  if (r.uri === undefined && r.authority === undefined && r.port === undefined && r.scheme === undefined && !('derivePort' in r)) {
    ctx.addIssue({ code: 'custom', message: 'redirect must set at least one of uri, authority, port or scheme' });
  }
}, always);

export const HTTPRouteSchema = istioObject(
  {
    name: z.string().optional(),
    match: z.array(HTTPMatchRequestSchema).optional(),
    route: z.array(HTTPRouteDestinationSchema).min(1).optional(),
    redirect: HTTPRedirectSchema.optional(),
    rewrite: HTTPRewriteSchema.optional(),
    timeout: duration().optional(),
    retries: HTTPRetrySchema.optional(),
    fault: HTTPFaultInjectionSchema.optional(),
    mirror: DestinationSchema.optional(),
    mirrorPercentage: PercentSchema.optional(),
    headers: VsHeadersSchema.optional(),
  },
  ['directResponse', 'delegate', 'mirrors', 'corsPolicy', 'mirrorPercent', 'mirror_percent'],
).superRefine((http, ctx) => {
  const hasRoute = http.route !== undefined;
  const hasRedirect = http.redirect !== undefined;
  if (hasRoute && hasRedirect) {
    ctx.addIssue({ code: 'custom', path: ['redirect'], message: 'set either route or redirect, not both' });
  } else if (!hasRoute && !hasRedirect && !hasMisspelling(http, ['route', 'redirect'])) {
    const other = ['directResponse', 'delegate'].filter((k) => k in http);
    ctx.addIssue({
      code: 'custom',
      message:
        'each http entry needs a route (destinations) or a redirect' +
        (other.length > 0 ? ` (${other.join(' and ')} ${other.length > 1 ? 'are' : 'is'} not supported by Skiff)` : ''),
    });
  }
  if (hasRedirect && http.rewrite !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['rewrite'], message: 'rewrite cannot be combined with redirect' });
  }
  checkWeights(http.route, ctx);
}, always);

/**
 * Istio: one destination takes all traffic and may omit its weight; with several, every
 * destination needs a weight and the weights must add up to 100.
 */
function checkWeights(route: unknown, ctx: z.RefinementCtx): void {
  if (!Array.isArray(route) || route.length < 2) return;
  let sum = 0;
  let complete = true;
  route.forEach((dest, i) => {
    const weight = isRecord(dest) ? dest['weight'] : undefined;
    if (weight === undefined) {
      complete = false;
      if (isRecord(dest) && hasMisspelling(dest, ['weight'])) return; // "wieght": the typo is reported
      ctx.addIssue({ code: 'custom', path: ['route', i], message: `weight is missing: with ${route.length} destinations each needs a weight, and the weights must sum to 100` });
    } else if (typeof weight === 'number' && Number.isInteger(weight) && weight >= 0 && weight <= 100) {
      sum += weight;
    } else {
      complete = false; // already reported by the weight's own schema
    }
  });
  if (complete && sum !== 100) {
    ctx.addIssue({ code: 'custom', path: ['route', route.length - 1, 'weight'], message: `weights sum to ${sum}, must sum to 100` });
  }
}

// tcp[]: Istio's TCPRoute, matched on connection attributes (L4MatchAttributes) and split by weight.
export const L4MatchAttributesSchema = istioObject(
  {
    destinationSubnets: z.array(ipBlock).optional(),
    port: portNumber.optional(),
    sourceLabels: labelMap().optional(),
    gateways: z.array(z.string().min(1)).optional(),
    sourceNamespace: z.string().min(1).optional(),
  },
  ['sourceSubnet'],
);

export const RouteDestinationSchema = istioObject({
  destination: DestinationSchema,
  weight: z.int().min(0).max(100).optional(),
});

export const TCPRouteSchema = istioObject({
  match: z.array(L4MatchAttributesSchema).optional(),
  route: z.array(RouteDestinationSchema).min(1),
}).superRefine((tcp, ctx) => checkWeights(tcp.route, ctx), always);

// tls[]: Istio's TLSRoute, for TLS that passes through unterminated, matched on the ClientHello's
// server name (sniHosts) as well as the connection.
export const TLSMatchAttributesSchema = istioObject(
  {
    sniHosts: z.array(hostName()).min(1),
    destinationSubnets: L4MatchAttributesSchema.shape.destinationSubnets,
    port: portNumber.optional(),
    sourceLabels: labelMap().optional(),
    gateways: z.array(z.string().min(1)).optional(),
    sourceNamespace: z.string().min(1).optional(),
  },
);

export const TLSRouteSchema = istioObject({
  match: z.array(TLSMatchAttributesSchema).min(1),
  route: z.array(RouteDestinationSchema).min(1),
}).superRefine((tls, ctx) => checkWeights(tls.route, ctx), always);

export const VirtualServiceSpecSchema = istioObject(
  {
    hosts: z.array(hostName()).min(1),
    gateways: z.array(z.string().min(1)).optional(),
    http: z.array(HTTPRouteSchema).optional(),
    tls: z.array(TLSRouteSchema).optional(),
    tcp: z.array(TCPRouteSchema).optional(),
    exportTo: exportTo.optional(),
  },
  [],
).superRefine((spec, ctx) => {
  // Istio forbids "*" for sidecars: it would capture every outbound request in the mesh.
  const gateways = Array.isArray(spec.gateways) ? spec.gateways : ['mesh'];
  if (Array.isArray(spec.hosts) && gateways.includes('mesh')) {
    spec.hosts.forEach((h, i) => {
      if (h === '*') ctx.addIssue({ code: 'custom', path: ['hosts', i], message: 'the host "*" is only allowed for VirtualServices bound to gateways (not to "mesh")' });
    });
  }
}, always);

export const VirtualServiceSchema = resourceSchema('VirtualService', VirtualServiceSpecSchema);
