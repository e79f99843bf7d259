// Draws the service graph as SVG. The whole picture is redrawn per graph event (every ~2 s):
// the layout is deterministic, so an unchanged mesh redraws identically and nothing jumps.
import type { GraphEdge, GraphNode, MeshGraph } from '@skiff/telemetry';
import { estimateTextWidth, layoutGraph, type PlacedEdge, type PlacedNode } from '../src/graph-layout.js';
import {
  edgeLabelLines,
  edgeWidth,
  formatBytesPerSecond,
  formatDuration,
  formatPercent,
  formatRps,
  healthOf,
  nodeLabel,
  nodeSubtitle,
  shareAttribute,
  type Health,
} from '../src/format.js';
import { clock, svg } from './dom.js';

const HEALTHS: Health[] = ['ok', 'warn', 'bad'];
const LINE_HEIGHT = 14;
/** Must match .node-label and .node-sub in styles.css, or long names overflow their boxes. */
const LABEL_FONT = '650 15px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const SUB_FONT = '11.5px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

let measureContext: CanvasRenderingContext2D | null | undefined;

/** Node text width as the browser will draw it; the layout's estimate when canvas is unavailable. */
function textWidth(node: GraphNode): number {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (!measureContext) return estimateTextWidth(node);
  measureContext.font = LABEL_FONT;
  const label = measureContext.measureText(nodeLabel(node)).width;
  measureContext.font = SUB_FONT;
  return Math.max(label, measureContext.measureText(nodeSubtitle(node)).width);
}

/** Arrowheads, one per colour: markers cannot take the colour of the line that uses them everywhere yet. */
function defs(): SVGDefsElement {
  return svg(
    'defs',
    {},
    ...HEALTHS.map((health) =>
      svg(
        'marker',
        { id: `arrow-${health}`, class: `arrow health-${health}`, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 11, markerHeight: 11, markerUnits: 'userSpaceOnUse', orient: 'auto' },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }),
      ),
    ),
  );
}

/** A small padlock (shackle and body), drawn rather than an emoji so it renders without emoji fonts. */
function lock(x: number, y: number): SVGGElement {
  return svg(
    'g',
    { class: 'lock', transform: `translate(${x} ${y})` },
    svg('title', {}, 'mutual TLS'),
    svg('path', { class: 'lock-shackle', d: 'M -3 -1 V -4 A 3 3 0 0 1 3 -4 V -1' }),
    svg('rect', { class: 'lock-body', x: -4.5, y: -1.5, width: 9, height: 7, rx: 1.5 }),
  );
}

function edgeTitle(edge: GraphEdge): string {
  if (edge.protocol === 'tcp') {
    return [
      `${edge.source} → ${edge.destination} (TCP)`,
      `service ${edge.service}`,
      `${edge.requests} connections closed in the window, ${formatBytesPerSecond(edge.bytesPerSecond ?? 0)} both ways`,
      `share ${formatPercent(edge.share)} of the caller's connections to this service`,
      `failed ${formatPercent(edge.errorRate)}`,
      edge.mtls ? 'mutual TLS' : 'plaintext (not every connection was mTLS)',
    ].join('\n');
  }
  return [
    `${edge.source} → ${edge.destination}`,
    `service ${edge.service}`,
    `${formatRps(edge.rps)}, ${edge.requests} requests in the window`,
    `share ${formatPercent(edge.share)} of what the caller sent to this service`,
    `errors ${formatPercent(edge.errorRate)}`,
    edge.p99Ms === undefined ? 'p99 –' : `p99 ${formatDuration(edge.p99Ms)}`,
    edge.mtls ? 'mutual TLS' : 'plaintext (not every request was mTLS)',
  ].join('\n');
}

function drawEdge(placed: PlacedEdge): SVGGElement {
  const { edge } = placed;
  const health = healthOf(edge.errorRate);
  const lines = edgeLabelLines(edge);
  // Baselines: stacked up from the anchor, down from it, or around it (see PlacedEdge.label).
  const first =
    placed.labelSide === 'above' ? -(lines.length - 1) * LINE_HEIGHT - 3 : placed.labelSide === 'below' ? 11 : -((lines.length - 1) * LINE_HEIGHT) / 2 + 4;
  const text = svg('text', { class: 'edge-text' });
  lines.forEach((line, i) => text.append(svg('tspan', { x: 0, y: first + i * LINE_HEIGHT, class: i === 0 ? 'traffic' : 'quality' }, line)));
  const label = svg('g', { class: 'edge-label', transform: `translate(${placed.label.x} ${placed.label.y})` }, text);
  return svg(
    'g',
    {
      class: `edge health-${health} route-${placed.route} protocol-${edge.protocol ?? 'http'}${edge.mtls ? ' mtls' : ''}${edge.rps > 0 ? '' : ' idle'}`,
      'data-edge': edge.id,
      'data-source': edge.source,
      'data-destination': edge.destination,
      'data-service': edge.service,
      'data-share': shareAttribute(edge.share),
      'data-rps': String(edge.rps),
      'data-error-rate': String(edge.errorRate),
      'data-mtls': String(edge.mtls),
      'data-protocol': edge.protocol ?? 'http',
      'data-health': health,
    },
    svg('title', {}, edgeTitle(edge)),
    svg('path', { class: 'edge-line', d: placed.path, 'stroke-width': edgeWidth(edge.rps).toFixed(2), 'marker-end': `url(#arrow-${health})` }),
    label,
  );
}

/** Gateways are hexagons, so the way in stands out; everything else a rounded box. */
function nodeShape(placed: PlacedNode): SVGElement {
  const { width: w, height: h } = placed;
  if (placed.node.kind === 'gateway') {
    const c = 14;
    return svg('polygon', { class: 'node-shape', points: `${c},0 ${w - c},0 ${w},${h / 2} ${w - c},${h} ${c},${h} 0,${h / 2}` });
  }
  return svg('rect', { class: 'node-shape', width: w, height: h, rx: 10 });
}

function drawNode(placed: PlacedNode): SVGGElement {
  const { node } = placed;
  return svg(
    'g',
    {
      class: `node kind-${node.kind}${node.connected ? '' : ' disconnected'}`,
      'data-node': node.id,
      'data-app': node.app,
      'data-version': node.version ?? '',
      'data-kind': node.kind,
      'data-connected': String(node.connected),
      transform: `translate(${placed.x} ${placed.y})`,
    },
    svg('title', {}, `${node.id}\n${node.kind}${node.connected ? ', connected' : ', no proxy connected'}`),
    nodeShape(placed),
    svg('text', { class: 'node-label', x: placed.width / 2, y: placed.height / 2 - 2 }, nodeLabel(node)),
    svg('text', { class: 'node-sub', x: placed.width / 2, y: placed.height / 2 + 14 }, nodeSubtitle(node)),
  );
}

/**
 * The padlock goes left of the first label line. Text widths are only known once drawn, so this
 * runs after the SVG is in the document (an estimate stands in while the section is hidden).
 */
function placeLocks(root: SVGSVGElement): void {
  for (const group of root.querySelectorAll<SVGGElement>('g.edge.mtls')) {
    const label = group.querySelector<SVGGElement>('.edge-label');
    const first = label?.querySelector<SVGTSpanElement>('tspan');
    if (!label || !first) continue;
    let width = 0;
    try {
      width = first.getComputedTextLength();
    } catch {
      width = 0;
    }
    if (width <= 0) width = (first.textContent ?? '').length * 6.5;
    label.append(lock(-width / 2 - 11, Number(first.getAttribute('y') ?? 0) - 4));
  }
}

/** Redraws #graph from a MeshGraph and stamps data-updated with its time. */
export function renderGraph(section: HTMLElement, graph: MeshGraph): void {
  const root = section.querySelector<SVGSVGElement>('svg.graph-svg');
  if (!root) throw new Error('#graph has no svg.graph-svg');
  const layout = layoutGraph(graph, { textWidth });

  root.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`);
  // Natural size caps the scale-up: a three-node mesh should not fill a projector screen.
  root.style.maxWidth = `${Math.round(layout.width * 1.6)}px`;
  root.replaceChildren(
    defs(),
    svg('g', { class: 'edges' }, ...layout.edges.map(drawEdge)),
    svg('g', { class: 'nodes' }, ...layout.nodes.map(drawNode)),
  );
  placeLocks(root);

  section.classList.toggle('empty', graph.nodes.length === 0);
  section.dataset.updated = graph.at;
  const meta = section.querySelector('.graph-meta');
  if (meta) {
    meta.textContent = `${graph.nodes.length} workloads · ${graph.edges.length} edges · last ${graph.windowSeconds} s · updated ${clock(graph.at)}`;
  }
}
