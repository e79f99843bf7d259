// The text form of a simulation, for people: where the config came from, which route won and
// why, where the request goes (clusters with weights, shares and endpoints), the route's
// policies, then the verdict on every route of the virtual host.
import { formatTable } from '../table.js';
import type { DestinationReport, RouteReport, SimulationResult } from '@skiff/meshtest';

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** "90%", "33.3%": whole numbers stay whole. */
export function formatPercent(percent: number): string {
  const rounded = Math.round(percent * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}%`;
}

function labels(l: Record<string, string>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function endpoints(d: DestinationReport): string {
  if (!d.known) return '(no such cluster in the snapshot: 503)';
  if (d.endpoints.length === 0) return '(no endpoints: 503 no healthy upstream)';
  return d.endpoints.map((e) => `${e.address}:${e.port} ${e.workload}`).join(', ');
}

function policies(route: RouteReport): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (route.timeoutMs !== undefined) out.push(['Timeout', formatMs(route.timeoutMs)]);
  const r = route.retries;
  if (r) {
    const perTry = r.perTryTimeoutMs !== undefined ? `, ${formatMs(r.perTryTimeoutMs)} per try` : '';
    const codes = r.retriableStatusCodes.length > 0 ? `; retriable status ${r.retriableStatusCodes.join(', ')}` : '';
    out.push(['Retries', `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${perTry}, on ${r.retryOn.join(', ') || 'nothing'}${codes}`]);
  }
  const f = route.fault;
  if (f?.delay) out.push(['Fault delay', `${formatMs(f.delay.fixedDelayMs)} for ${formatPercent(f.delay.percent)} of requests`]);
  if (f?.abort) out.push(['Fault abort', `HTTP ${f.abort.httpStatus} for ${formatPercent(f.abort.percent)} of requests`]);
  if (route.mirror) out.push(['Mirror', `${route.mirror.cluster} (${formatPercent(route.mirror.percent)} of requests, responses ignored)`]);
  if (route.rewrite) {
    const parts = [route.rewrite.uri !== undefined ? `uri -> ${route.rewrite.uri}` : '', route.rewrite.authority !== undefined ? `authority -> ${route.rewrite.authority}` : ''];
    out.push(['Rewrite', parts.filter(Boolean).join(', ')]);
  }
  return out;
}

function origin(route: RouteReport): string {
  const o = route.origin;
  if (!o) return 'none: the default route Skiff makes for a service without a VirtualService';
  const where = o.file !== undefined ? ` (${o.file}:${o.line})` : '';
  return `VirtualService ${o.virtualService}, http[${o.httpIndex}]${o.routeName ? ` "${o.routeName}"` : ''}${where}`;
}

function section(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n');
}

export function formatReport(result: SimulationResult, source: { description: string; version: string; proxyDefaulted: boolean }): string {
  const { request: req, proxy } = result;
  const headerText = Object.entries(req.headers)
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`))
    .join('; ');
  const lines: string[] = [];
  lines.push(
    section([
      ['Source', `${source.description}${source.version !== 'offline' ? `, snapshot ${source.version}` : ''}`],
      ['From', `${proxy.id} (${proxy.kind}, labels ${labels(proxy.labels) || 'none'})${source.proxyDefaulted ? ' [default; pass --from <workload> to change]' : ''}`],
      ['Request', `${req.method} ${req.url}${headerText ? `  [${headerText}]` : ''}`],
      ['Route config', `${JSON.stringify(result.routeConfig)} (${proxy.kind === 'gateway' ? 'gateway server port' : 'outbound, by port'} ${req.port})`],
    ]),
    '',
  );

  const route = result.route;
  if (result.outcome !== 'matched' || !route) {
    lines.push(`✘ No route: ${result.reason}`, `  Effect: ${result.effect}`);
  } else {
    const rows: Array<[string, string]> = [
      ['Route', route.name],
      ['Virtual host', `${route.virtualHost} (domain ${JSON.stringify(route.domain)})`],
      ['Defined in', origin(route)],
      ['Why', result.reason],
      ['Effect', result.effect],
      ...policies(route),
    ];
    lines.push(`✔ ${section(rows).split('\n').join('\n  ')}`);
    if (route.destinations.length > 0) {
      lines.push(
        '',
        'Destinations:',
        formatTable(
          ['CLUSTER', 'WEIGHT', 'SHARE', 'ENDPOINTS'],
          route.destinations.map((d) => [d.cluster, String(d.weight), formatPercent(d.percent), endpoints(d)]),
          { indent: '  ' },
        ),
      );
    }
  }
  // Without a virtual host there are no routes to judge, and the reason above says it all.
  if (result.explanation && result.verdicts.length > 0) lines.push('', 'Every route of the virtual host, in order:', result.explanation);
  return lines.join('\n');
}
