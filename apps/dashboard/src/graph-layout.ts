// Where each node and edge of the service graph goes: a layered left-to-right layout, pure and
// deterministic, so the picture does not jump between two updates of the same traffic and the
// layout can be tested without a browser.
//
// Columns: the longest path from the callers nobody calls (the gateway), over apps rather than
// workloads, so reviews v1 and v2 share a column and stack. Workloads that no edge touches wait
// in a row underneath until traffic places them.
import type { GraphEdge, GraphNode, MeshGraph } from '@skiff/telemetry';
import { nodeLabel, nodeSubtitle } from './format.js';

export interface LayoutOptions {
  /** The narrowest a node gets; wider when its text needs it (see textWidth). */
  nodeWidth: number;
  nodeHeight: number;
  /** Room between columns; the edge labels live there. */
  columnGap: number;
  rowGap: number;
  margin: number;
  /** Pixels the node's text needs (its widest line). The browser measures; the default guesses from character counts. */
  textWidth: (node: GraphNode) => number;
  /** Room between the text and the node's border, on each side. */
  padding: number;
}

/** A guess at the rendered text width: ~8.8 px per character of the 15 px bold label, 6.6 of the 11.5 px subtitle. */
export function estimateTextWidth(node: GraphNode): number {
  return Math.max(nodeLabel(node).length * 8.8, nodeSubtitle(node).length * 6.6);
}

export const DEFAULT_LAYOUT_OPTIONS: LayoutOptions = {
  nodeWidth: 150,
  nodeHeight: 52,
  columnGap: 230,
  rowGap: 44,
  margin: 24,
  textWidth: estimateTextWidth,
  padding: 18,
};

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  node: GraphNode;
  /** Column from the left; -1 for a workload no edge touches (the idle row). */
  column: number;
  /** Top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  edge: GraphEdge;
  /** forward: to a later column; back: to the same or an earlier one (a cycle); self: a loop. */
  route: 'forward' | 'back' | 'self';
  /** SVG path data, one cubic Bézier from the source's border to the destination's. */
  path: string;
  start: Point;
  end: Point;
  /**
   * Where the label hangs: its bottom edge for "above", its top edge for "below", its centre for
   * "center". Above/below keep the text off the line: rising edges label above, falling below.
   */
  label: Point;
  labelSide: LabelSide;
}

export type LabelSide = 'above' | 'below' | 'center';

/** The label's height the layout makes room for: two lines of edge text. */
export const LABEL_HEIGHT = 30;

export interface GraphLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

interface Curve {
  start: Point;
  c1: Point;
  c2: Point;
  end: Point;
}

/** Half the widest label ("12.3 rps · 90%" with its lock), for keeping labels clear of lines and inside the picture. */
const LABEL_HALF_WIDTH = 64;
/** Between a label and its line. */
const LABEL_GAP = 5;

const collator = new Intl.Collator('en', { numeric: true });
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const kindRank = (node: GraphNode): number => (node.kind === 'gateway' ? 0 : node.kind === 'sidecar' ? 1 : 2);
const groupKey = (node: GraphNode): string => `${node.namespace}/${node.app}`;

/** Stand-in for an edge end the graph did not list, so a bad edge still draws somewhere. */
function placeholder(id: string): GraphNode {
  const dot = id.indexOf('.');
  const workload = dot > 0 ? id.slice(0, dot) : id;
  const namespace = dot > 0 ? id.slice(dot + 1) : '';
  return { id, workload, namespace, app: workload, kind: 'unknown', connected: false };
}

function bezierAt(c: Curve, t: number): Point {
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const d = 3 * u * t * t;
  const e = t * t * t;
  return { x: a * c.start.x + b * c.c1.x + d * c.c2.x + e * c.end.x, y: a * c.start.y + b * c.c1.y + d * c.c2.y + e * c.end.y };
}

/** The curve's direction at t (its derivative), to know how steep it is under a label. */
function bezierSlope(c: Curve, t: number): Point {
  const u = 1 - t;
  const a = 3 * u * u;
  const b = 6 * u * t;
  const e = 3 * t * t;
  return {
    x: a * (c.c1.x - c.start.x) + b * (c.c2.x - c.c1.x) + e * (c.end.x - c.c2.x),
    y: a * (c.c1.y - c.start.y) + b * (c.c2.y - c.c1.y) + e * (c.end.y - c.c2.y),
  };
}

const round = (n: number): number => Math.round(n * 10) / 10;
const roundPoint = (p: Point): Point => ({ x: round(p.x), y: round(p.y) });

/** Lays out a mesh graph; the same nodes and edges in any order give the same layout. */
export function layoutGraph(graph: Pick<MeshGraph, 'nodes' | 'edges'>, options: Partial<LayoutOptions> = {}): GraphLayout {
  const o = { ...DEFAULT_LAYOUT_OPTIONS, ...options };

  const nodes = new Map<string, GraphNode>();
  for (const node of [...graph.nodes].sort((a, b) => byText(a.id, b.id))) if (!nodes.has(node.id)) nodes.set(node.id, node);
  const edges = [...graph.edges].sort((a, b) => byText(a.id, b.id));
  for (const edge of edges) {
    for (const id of [edge.source, edge.destination]) if (!nodes.has(id)) nodes.set(id, placeholder(id));
  }

  // Apps are the unit of layering: one column per app.
  const groups = new Map<string, GraphNode[]>();
  for (const node of nodes.values()) {
    const key = groupKey(node);
    groups.set(key, [...(groups.get(key) ?? []), node]);
  }
  const groupOf = (id: string): string => groupKey(nodes.get(id) as GraphNode);
  const groupRank = (key: string): number => Math.min(...(groups.get(key) ?? []).map(kindRank));
  const groupOrder = (a: string, b: string): number => groupRank(a) - groupRank(b) || byText(a, b);

  const touched = new Set<string>();
  const next = new Map<string, Set<string>>();
  const incoming = new Map<string, number>();
  for (const edge of edges) {
    const from = groupOf(edge.source);
    const to = groupOf(edge.destination);
    touched.add(from).add(to);
    if (from === to) continue;
    const set = next.get(from) ?? new Set<string>();
    if (!set.has(to)) incoming.set(to, (incoming.get(to) ?? 0) + 1);
    next.set(from, set.add(to));
  }
  const layered = [...touched].sort(groupOrder);
  const successors = (key: string): string[] => [...(next.get(key) ?? [])].sort(groupOrder);

  // Break cycles: a depth-first walk from the uncalled groups; an edge back into the walk's own
  // stack is dropped from the layering (it is drawn as a back edge).
  const dag = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const walk = (key: string): void => {
    state.set(key, 'open');
    const kept: string[] = [];
    for (const to of successors(key)) {
      if (state.get(to) === 'open') continue;
      kept.push(to);
      if (!state.has(to)) walk(to);
    }
    dag.set(key, kept);
    state.set(key, 'done');
  };
  for (const key of layered) if (!incoming.has(key) && !state.has(key)) walk(key);
  for (const key of layered) if (!state.has(key)) walk(key);

  // Longest path: relax in topological order (Kahn's algorithm over the acyclic edges).
  const column = new Map<string, number>(layered.map((key) => [key, 0]));
  const indegree = new Map<string, number>(layered.map((key) => [key, 0]));
  for (const tos of dag.values()) for (const to of tos) indegree.set(to, (indegree.get(to) ?? 0) + 1);
  const queue = layered.filter((key) => indegree.get(key) === 0);
  while (queue.length > 0) {
    const key = queue.shift() as string;
    for (const to of dag.get(key) ?? []) {
      column.set(to, Math.max(column.get(to) ?? 0, (column.get(key) ?? 0) + 1));
      indegree.set(to, (indegree.get(to) ?? 0) - 1);
      if (indegree.get(to) === 0) queue.push(to);
    }
  }

  const stack = (group: GraphNode[]): GraphNode[] =>
    [...group].sort((a, b) => collator.compare(a.version ?? '', b.version ?? '') || byText(a.id, b.id));
  const groupHeight = (key: string): number => {
    const n = groups.get(key)?.length ?? 0;
    return n * o.nodeHeight + (n - 1) * o.rowGap;
  };

  // Order each column by where its callers sit (barycentre), which keeps edges from crossing
  // in the common fan-out shapes; ties fall back to the group name.
  const columnCount = layered.length > 0 ? Math.max(...column.values()) + 1 : 0;
  const centreY = new Map<string, number>(); // node id -> y of its centre, relative to its column's centre
  const columns: Array<{ keys: string[]; height: number }> = [];
  for (let c = 0; c < columnCount; c++) {
    const keys = layered.filter((key) => column.get(key) === c);
    const bary = new Map<string, number>();
    for (const key of keys) {
      const ys = edges
        .filter((e) => groupOf(e.destination) === key && groupOf(e.source) !== key && centreY.has(e.source))
        .map((e) => centreY.get(e.source) as number);
      bary.set(key, ys.length > 0 ? ys.reduce((s, y) => s + y, 0) / ys.length : 0);
    }
    keys.sort((a, b) => (c === 0 ? 0 : (bary.get(a) as number) - (bary.get(b) as number)) || groupOrder(a, b));
    const height = keys.reduce((sum, key) => sum + groupHeight(key), 0) + Math.max(0, keys.length - 1) * o.rowGap;
    let y = -height / 2;
    for (const key of keys) {
      for (const node of stack(groups.get(key) ?? [])) {
        centreY.set(node.id, y + o.nodeHeight / 2);
        y += o.nodeHeight + o.rowGap;
      }
    }
    columns.push({ keys, height });
  }

  // Gateways are drawn as hexagons: their pointed ends need a little more room.
  const widthOf = (node: GraphNode): number =>
    Math.max(o.nodeWidth, Math.ceil(o.textWidth(node) + 2 * o.padding + (node.kind === 'gateway' ? 16 : 0)));
  const tallest = Math.max(0, ...columns.map((c) => c.height));
  const placed = new Map<string, PlacedNode>();
  let x = 0;
  columns.forEach(({ keys }, c) => {
    const members = keys.flatMap((key) => stack(groups.get(key) ?? []));
    // One width per column, so stacked versions line up.
    const width = Math.max(...members.map(widthOf));
    for (const node of members) {
      const y = tallest / 2 + (centreY.get(node.id) as number) - o.nodeHeight / 2;
      placed.set(node.id, { node, column: c, x, y, width, height: o.nodeHeight });
    }
    x += width + o.columnGap;
  });

  // Edges only join layered nodes, so they can be routed before the idle row is placed.
  const layeredNodes = [...placed.values()];
  const curves = edges.map((edge) => route(edge, placed.get(edge.source) as PlacedNode, placed.get(edge.destination) as PlacedNode, layeredNodes, o));

  // The idle row: gateways first, then by app and version, below everything else (back edges
  // and their labels dip under the columns).
  const idle = [...groups.keys()].filter((key) => !touched.has(key)).sort(groupOrder).flatMap((key) => stack(groups.get(key) ?? []));
  const lowest = Math.max(tallest, ...curves.map(({ curve, label, side }) => Math.max(curve.c1.y, curve.c2.y, side === 'below' ? label.y + LABEL_HEIGHT : label.y)));
  const idleY = columns.length > 0 ? lowest + o.rowGap * 2 : 0;
  let idleX = 0;
  for (const node of idle) {
    const width = widthOf(node);
    placed.set(node.id, { node, column: -1, x: idleX, y: idleY, width, height: o.nodeHeight });
    idleX += width + o.rowGap;
  }

  // Fit the picture: everything, labels included, moved to start at the margin.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of placed.values()) {
    xs.push(p.x, p.x + p.width);
    ys.push(p.y, p.y + p.height);
  }
  for (const { curve, label, side } of curves) {
    for (const p of [curve.start, curve.c1, curve.c2, curve.end]) {
      xs.push(p.x);
      ys.push(p.y);
    }
    xs.push(label.x - LABEL_HALF_WIDTH, label.x + LABEL_HALF_WIDTH);
    if (side === 'above') ys.push(label.y - LABEL_HEIGHT);
    else if (side === 'below') ys.push(label.y + LABEL_HEIGHT);
    else ys.push(label.y - LABEL_HEIGHT / 2, label.y + LABEL_HEIGHT / 2);
  }
  const minX = xs.length > 0 ? Math.min(...xs) : 0;
  const minY = ys.length > 0 ? Math.min(...ys) : 0;
  const dx = o.margin - minX;
  const dy = o.margin - minY;
  const shift = (p: Point): Point => roundPoint({ x: p.x + dx, y: p.y + dy });

  const outNodes = [...placed.values()]
    .map((p) => ({ ...p, x: round(p.x + dx), y: round(p.y + dy) }))
    .sort((a, b) => (a.column < 0 ? 1 : 0) - (b.column < 0 ? 1 : 0) || a.column - b.column || a.y - b.y || a.x - b.x);
  const outEdges = curves.map(({ edge, routeKind, curve, label, side }) => {
    const [start, c1, c2, end] = [curve.start, curve.c1, curve.c2, curve.end].map(shift) as [Point, Point, Point, Point];
    return {
      edge,
      route: routeKind,
      path: `M ${start.x} ${start.y} C ${c1.x} ${c1.y}, ${c2.x} ${c2.y}, ${end.x} ${end.y}`,
      start,
      end,
      label: shift(label),
      labelSide: side,
    };
  });
  return {
    width: round(xs.length > 0 ? Math.max(...xs) - minX + 2 * o.margin : 2 * o.margin),
    height: round(ys.length > 0 ? Math.max(...ys) - minY + 2 * o.margin : 2 * o.margin),
    nodes: outNodes,
    edges: outEdges,
  };
}

/** The curve of one edge and where its label sits, before the picture is moved into place. */
function route(
  edge: GraphEdge,
  from: PlacedNode,
  to: PlacedNode,
  all: PlacedNode[],
  o: LayoutOptions,
): { edge: GraphEdge; routeKind: PlacedEdge['route']; curve: Curve; label: Point; side: LabelSide } {
  const midY = (p: PlacedNode): number => p.y + p.height / 2;
  const midX = (p: PlacedNode): number => p.x + p.width / 2;

  if (from === to) {
    // A loop over the node's top.
    const x = midX(from);
    const top = from.y;
    const curve = { start: { x: x - 18, y: top }, c1: { x: x - 48, y: top - 52 }, c2: { x: x + 48, y: top - 52 }, end: { x: x + 18, y: top } };
    return { edge, routeKind: 'self', curve, label: { x, y: top - 42 - LABEL_GAP }, side: 'above' };
  }

  if (to.x > from.x + from.width) {
    // Left to right. A level edge is labelled halfway; a sloped one further on, where the
    // S-curve flattens, lifted (or dropped) by as much as the line climbs under half a label.
    const start = { x: from.x + from.width, y: midY(from) };
    const end = { x: to.x, y: midY(to) };
    const half = (end.x - start.x) / 2;
    const curve = { start, c1: { x: start.x + half, y: start.y }, c2: { x: end.x - half, y: end.y }, end };
    const rise = end.y - start.y;
    if (Math.abs(rise) < 1) {
      const at = bezierAt(curve, 0.5);
      return { edge, routeKind: 'forward', curve, label: { x: at.x, y: at.y - LABEL_GAP }, side: 'above' };
    }
    const t = 0.6;
    const at = bezierAt(curve, t);
    const d = bezierSlope(curve, t);
    const clear = LABEL_GAP + Math.abs(d.y / d.x) * LABEL_HALF_WIDTH;
    return rise < 0
      ? { edge, routeKind: 'forward', curve, label: { x: at.x, y: at.y - clear }, side: 'above' }
      : { edge, routeKind: 'forward', curve, label: { x: at.x, y: at.y + clear }, side: 'below' };
  }

  if (Math.abs(to.x - from.x) < 1) {
    // Same column (two versions calling each other): out and back in on the right.
    const right = from.x + from.width;
    const bulge = right + Math.min(90, o.columnGap / 2);
    const start = { x: right, y: midY(from) + (to.y > from.y ? 8 : -8) };
    const end = { x: right, y: midY(to) + (to.y > from.y ? -8 : 8) };
    const curve = { start, c1: { x: bulge, y: start.y }, c2: { x: bulge, y: end.y }, end };
    return { edge, routeKind: 'back', curve, label: bezierAt(curve, 0.5), side: 'center' };
  }

  // Right to left (closing a cycle): out of the left side (below is where other versions stack),
  // under every node on the way, in through the bottom.
  const start = { x: from.x, y: midY(from) };
  const end = { x: midX(to), y: to.y + to.height };
  const under = all.filter((p) => p.x + p.width >= to.x && p.x <= from.x + from.width).map((p) => p.y + p.height);
  // Control points at `depth` put the curve's middle at (start.y + end.y) / 8 + depth * 3/4: solve
  // for a middle one row gap below the lowest of those nodes.
  const lowest = Math.max(start.y, end.y, ...under) + o.rowGap;
  const depth = (lowest - (start.y + end.y) / 8) / 0.75;
  const curve = { start, c1: { x: start.x - o.columnGap / 3, y: depth }, c2: { x: end.x, y: depth }, end };
  const bottom = bezierAt(curve, 0.5);
  return { edge, routeKind: 'back', curve, label: { x: bottom.x, y: bottom.y + LABEL_GAP }, side: 'below' };
}
