// One VirtualService http[] entry -> one snapshot Route, for one context (the mesh or a gateway).
import type { HeaderOperations, Headers, HTTPRoute, HTTPRouteDestination, Loaded, VirtualService } from '@skiff/api';
import { grpcStatusOfName } from '@skiff/api';
import { resourceKey } from './describe.js';
import { clusterFor, type DestinationContext } from './destinations.js';
import { parseDurationMs } from './duration.js';
import { translateMatches } from './http-match.js';
import { retryPolicy } from './retries.js';
import type { ForwardActionInput, RouteInput } from './snapshot-types.js';

export interface RouteContext extends DestinationContext {
  /** Does a match whose own `gateways` list is this one apply here? */
  applies: (gateways: readonly string[]) => boolean;
  /** The service port of the virtual host being built (sidecars); undefined on gateways. */
  port: number | undefined;
}

function copyOperations(ops: HeaderOperations): HeaderOperations {
  const out: HeaderOperations = {};
  if (ops.set) out.set = { ...ops.set };
  if (ops.add) out.add = { ...ops.add };
  if (ops.remove) out.remove = [...ops.remove];
  return out;
}

function copyHeaders(headers: Headers): Headers {
  const out: Headers = {};
  if (headers.request) out.request = copyOperations(headers.request);
  if (headers.response) out.response = copyOperations(headers.response);
  return out;
}

/** Weights: 100 for a lone destination; an all-unweighted list splits 100 evenly; otherwise missing = 0. */
function weights(destinations: readonly HTTPRouteDestination[]): number[] {
  if (destinations.length === 1) return [destinations[0]?.weight ?? 100];
  if (destinations.every((d) => d.weight === undefined)) {
    const share = Math.floor(100 / destinations.length);
    const remainder = 100 - share * destinations.length;
    return destinations.map((_, i) => share + (i < remainder ? 1 : 0));
  }
  return destinations.map((d) => d.weight ?? 0);
}

function durationMs(text: string, where: string, ctx: RouteContext): number | undefined {
  try {
    return parseDurationMs(text);
  } catch (error) {
    ctx.warn(`${where}: ${(error as Error).message}; ignored.`);
    return undefined;
  }
}

function forwardAction(http: HTTPRoute, vs: Loaded<VirtualService>, where: string, ctx: RouteContext): ForwardActionInput | undefined {
  const destinations = http.route ?? [];
  const ws = weights(destinations);
  const clusters: ForwardActionInput['clusters'] = [];
  destinations.forEach((d, i) => {
    const cluster = clusterFor(d.destination, vs.metadata.namespace, ctx.port, `${where}.route[${i}]`, ctx);
    if (cluster === undefined) return;
    const weighted: ForwardActionInput['clusters'][number] = { cluster, weight: ws[i] as number };
    if (d.headers) weighted.headers = copyHeaders(d.headers);
    clusters.push(weighted);
  });
  if (clusters.length === 0) return undefined;
  const action: ForwardActionInput = { kind: 'route', clusters };
  if (http.timeout !== undefined) {
    const ms = durationMs(http.timeout, `${where}.timeout`, ctx);
    if (ms !== undefined) action.timeoutMs = ms;
  }
  action.retries = retryPolicy(http.retries, where, ctx.warn);
  if (http.fault) {
    const fault: NonNullable<ForwardActionInput['fault']> = {};
    if (http.fault.delay) {
      const ms = durationMs(http.fault.delay.fixedDelay, `${where}.fault.delay.fixedDelay`, ctx);
      if (ms !== undefined) fault.delay = { fixedDelayMs: ms, percent: http.fault.delay.percentage?.value ?? 100 };
    }
    const abort = http.fault.abort;
    if (abort) {
      // A gRPC status is answered as HTTP 200 carrying it (Envoy's fault filter, abortStatus()).
      const grpcStatus = abort.grpcStatus === undefined ? undefined : grpcStatusOfName(abort.grpcStatus);
      fault.abort = { httpStatus: grpcStatus === undefined ? (abort.httpStatus ?? 500) : 200, ...(grpcStatus === undefined ? {} : { grpcStatus }), percent: abort.percentage?.value ?? 100 };
    }
    if (fault.delay || fault.abort) action.fault = fault;
  }
  if (http.mirror) {
    const cluster = clusterFor(http.mirror, vs.metadata.namespace, ctx.port, `${where}.mirror`, ctx);
    if (cluster !== undefined) action.mirror = { cluster, percent: http.mirrorPercentage?.value ?? 100 };
  }
  if (http.rewrite) {
    const rewrite: NonNullable<ForwardActionInput['rewrite']> = {};
    if (http.rewrite.uri !== undefined) rewrite.uri = http.rewrite.uri;
    if (http.rewrite.authority !== undefined) rewrite.authority = http.rewrite.authority;
    action.rewrite = rewrite;
  }
  return action;
}

/** Translates vs.spec.http[index]; undefined (warned where useful) when it does not apply here or cannot route. */
export function translateHttpRoute(vs: Loaded<VirtualService>, index: number, ctx: RouteContext): RouteInput | undefined {
  const http = vs.spec.http?.[index];
  if (!http) return undefined;
  const key = resourceKey(vs);
  const where = `VirtualService ${key} spec.http[${index}]`;
  const matches = translateMatches(http.match, ctx.applies);
  if (matches === null) return undefined; // every match is scoped to other gateways

  let action: RouteInput['action'] | undefined;
  if (http.redirect) {
    const r = http.redirect;
    action = { kind: 'redirect' };
    if (r.uri !== undefined) action.uri = r.uri;
    if (r.authority !== undefined) action.authority = r.authority;
    if (r.port !== undefined) action.port = r.port;
    if (r.scheme !== undefined) action.scheme = r.scheme;
    if (r.redirectCode !== undefined) action.redirectCode = r.redirectCode;
  } else if (http.route && http.route.length > 0) {
    action = forwardAction(http, vs, where, ctx);
    if (!action) {
      ctx.warn(`${where}: no destination could be resolved, so this route is left out. Fix the destination hosts or ports.`);
      return undefined;
    }
  } else {
    ctx.warn(`${where}: has neither route nor redirect, so it is left out. Add a route[] destination.`);
    return undefined;
  }

  const route: RouteInput = {
    name: `${key} http[${index}]${http.name ? ` (${http.name})` : ''}`,
    origin: http.name ? { virtualService: key, httpIndex: index, routeName: http.name } : { virtualService: key, httpIndex: index },
    matches,
    action,
  };
  if (http.headers) route.headers = copyHeaders(http.headers);
  return route;
}

/** Every applicable http entry of a VirtualService, in order. */
export function translateHttpRoutes(vs: Loaded<VirtualService>, ctx: RouteContext): RouteInput[] {
  const routes: RouteInput[] = [];
  (vs.spec.http ?? []).forEach((_, i) => {
    const route = translateHttpRoute(vs, i, ctx);
    if (route) routes.push(route);
  });
  return routes;
}
