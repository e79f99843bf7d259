import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GraphEdge, GraphNode } from '@skiff/telemetry';
import { LABEL_HEIGHT, layoutGraph, type GraphLayout, type PlacedNode } from './graph-layout.js';

function node(workload: string, app: string, version?: string, kind: GraphNode['kind'] = 'sidecar'): GraphNode {
  return { id: `${workload}.default`, workload, namespace: 'default', app, ...(version ? { version } : {}), kind, connected: true };
}

function edge(source: string, destination: string, extra: Partial<GraphEdge> = {}): GraphEdge {
  const s = `${source}.default`;
  const d = `${destination}.default`;
  return { id: `${s}->${d}`, source: s, destination: d, service: `${destination}.default.svc.cluster.local`, rps: 1, requests: 10, errorRate: 0, share: 1, mtls: true, protocol: 'http', ...extra };
}

const bookinfo = {
  nodes: [
    node('ratings', 'ratings', 'v1'),
    node('reviews-v2', 'reviews', 'v2'),
    node('istio-ingressgateway', 'istio-ingressgateway', undefined, 'gateway'),
    node('frontend', 'frontend', 'v1'),
    node('reviews-v1', 'reviews', 'v1'),
  ],
  edges: [
    edge('frontend', 'reviews-v2', { share: 0.1 }),
    edge('istio-ingressgateway', 'frontend'),
    edge('reviews-v2', 'ratings'),
    edge('frontend', 'reviews-v1', { share: 0.9 }),
  ],
};

function at(layout: GraphLayout, workload: string): PlacedNode {
  const found = layout.nodes.find((n) => n.node.id === `${workload}.default`);
  assert.ok(found, `${workload} placed`);
  return found;
}

function overlaps(a: PlacedNode, b: PlacedNode): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('layoutGraph on the sample mesh', () => {
  const layout = layoutGraph(bookinfo);

  test('columns by longest path: gateway, frontend, reviews, ratings', () => {
    assert.deepEqual(
      ['istio-ingressgateway', 'frontend', 'reviews-v1', 'reviews-v2', 'ratings'].map((w) => at(layout, w).column),
      [0, 1, 2, 2, 3],
    );
    const xs = ['istio-ingressgateway', 'frontend', 'reviews-v1', 'ratings'].map((w) => at(layout, w).x);
    assert.deepEqual([...xs].sort((a, b) => a - b), xs);
  });

  test('versions of one app stack in one column, v1 above v2', () => {
    const v1 = at(layout, 'reviews-v1');
    const v2 = at(layout, 'reviews-v2');
    assert.equal(v1.x, v2.x);
    assert.ok(v1.y + v1.height <= v2.y);
  });

  test('single nodes are centred on the stacked column', () => {
    const v1 = at(layout, 'reviews-v1');
    const v2 = at(layout, 'reviews-v2');
    const middle = (v1.y + v2.y + v2.height) / 2;
    for (const w of ['istio-ingressgateway', 'frontend', 'ratings']) {
      const n = at(layout, w);
      assert.ok(Math.abs(n.y + n.height / 2 - middle) < 0.2, w);
    }
  });

  test('no two nodes overlap and everything is inside the picture', () => {
    for (const a of layout.nodes) {
      assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.width <= layout.width && a.y + a.height <= layout.height, a.node.id);
      for (const b of layout.nodes) if (a !== b) assert.ok(!overlaps(a, b), `${a.node.id} / ${b.node.id}`);
    }
    for (const e of layout.edges) {
      const top = e.labelSide === 'above' ? e.label.y - LABEL_HEIGHT : e.labelSide === 'below' ? e.label.y : e.label.y - LABEL_HEIGHT / 2;
      assert.ok(e.label.x > 0 && e.label.x < layout.width && top >= 0 && top + LABEL_HEIGHT <= layout.height, e.edge.id);
    }
  });

  test('edges run from the source right side to the destination left side', () => {
    const e = layout.edges.find((x) => x.edge.id === 'frontend.default->reviews-v1.default');
    assert.ok(e);
    const from = at(layout, 'frontend');
    const to = at(layout, 'reviews-v1');
    assert.equal(e.route, 'forward');
    assert.deepEqual(e.start, { x: from.x + from.width, y: from.y + from.height / 2 });
    assert.deepEqual(e.end, { x: to.x, y: to.y + to.height / 2 });
    assert.match(e.path, /^M [\d.]+ [\d.]+ C [\d.]+ [\d.]+, [\d.]+ [\d.]+, [\d.]+ [\d.]+$/);
    assert.ok(e.label.x > e.start.x && e.label.x < e.end.x);
  });

  test('labels sit off their lines: rising edges above, falling below, level above', () => {
    const side = (w: string): string | undefined => layout.edges.find((x) => x.edge.destination === `${w}.default`)?.labelSide;
    assert.equal(side('frontend'), 'above');
    assert.equal(side('reviews-v1'), 'above');
    assert.equal(side('reviews-v2'), 'below');
    assert.equal(side('ratings'), 'above');
  });

  test('fanned-out labels do not overlap', () => {
    const box = (w: string): [number, number] => {
      const e = layout.edges.find((x) => x.edge.destination === `${w}.default`);
      assert.ok(e);
      return e.labelSide === 'above' ? [e.label.y - LABEL_HEIGHT, e.label.y] : [e.label.y, e.label.y + LABEL_HEIGHT];
    };
    const [top1, bottom1] = box('reviews-v1');
    const [top2] = box('reviews-v2');
    assert.ok(top1 < bottom1 && bottom1 < top2);
  });

  test('a long name widens its column; a column keeps one width', () => {
    const gw = at(layout, 'istio-ingressgateway');
    assert.ok(gw.width > 150, 'istio-ingressgateway needs more than the minimum');
    assert.ok(gw.width >= 'istio-ingressgateway'.length * 8.8, 'its label fits');
    assert.equal(at(layout, 'frontend').width, 150);
    assert.equal(at(layout, 'reviews-v1').width, at(layout, 'reviews-v2').width);
    assert.equal(at(layout, 'frontend').x - (gw.x + gw.width), 230, 'the gap follows the wider column');
  });

  test('the browser can measure text itself', () => {
    const wide = layoutGraph(bookinfo, { textWidth: (n) => (n.app === 'reviews' ? 300 : 10) });
    assert.equal(at(wide, 'reviews-v1').width, 300 + 2 * 18);
    assert.equal(at(wide, 'frontend').width, 150);
  });

  test('deterministic: the same graph in another order lays out the same', () => {
    const shuffled = { nodes: [...bookinfo.nodes].reverse(), edges: [...bookinfo.edges].reverse() };
    assert.deepEqual(layoutGraph(shuffled), layout);
    assert.deepEqual(layoutGraph(structuredClone(bookinfo)), layout);
  });
});

describe('layoutGraph edge cases', () => {
  test('an empty graph', () => {
    const layout = layoutGraph({ nodes: [], edges: [] });
    assert.deepEqual(layout.nodes, []);
    assert.deepEqual(layout.edges, []);
    assert.ok(layout.width > 0 && layout.height > 0);
  });

  test('before any traffic every workload waits in one row, gateway first', () => {
    const layout = layoutGraph({ nodes: bookinfo.nodes, edges: [] });
    assert.deepEqual(
      layout.nodes.map((n) => [n.node.workload, n.column]),
      [
        ['istio-ingressgateway', -1],
        ['frontend', -1],
        ['ratings', -1],
        ['reviews-v1', -1],
        ['reviews-v2', -1],
      ],
    );
    assert.equal(new Set(layout.nodes.map((n) => n.y)).size, 1);
  });

  test('idle workloads go below the layered graph', () => {
    const layout = layoutGraph({ nodes: [...bookinfo.nodes, node('details', 'details', 'v1')], edges: bookinfo.edges });
    const details = at(layout, 'details');
    assert.equal(details.column, -1);
    for (const n of layout.nodes) if (n !== details) assert.ok(n.y + n.height < details.y);
  });

  test('a cycle still lays out: the closing edge is a back edge', () => {
    const layout = layoutGraph({
      nodes: [node('a', 'a'), node('b', 'b'), node('c', 'c'), node('idle', 'idle')],
      edges: [edge('a', 'b'), edge('b', 'c'), edge('c', 'a')],
    });
    // Nothing calls into the cycle from outside, so the walk starts at the first app by name.
    assert.deepEqual(['a', 'b', 'c'].map((w) => at(layout, w).column), [0, 1, 2]);
    const back = layout.edges.find((e) => e.edge.source === 'c.default');
    assert.ok(back);
    assert.equal(back.route, 'back');
    assert.equal(back.labelSide, 'below');
    // The idle row stays clear of the arc and its label.
    assert.ok(back.label.y + LABEL_HEIGHT < at(layout, 'idle').y);
    for (const e of layout.edges) assert.ok(e.start.y <= layout.height && e.label.y + LABEL_HEIGHT <= layout.height);
  });

  test('a back edge passes under the nodes between its ends', () => {
    // c calls a back; b2 (a second version of b) hangs low in the middle column.
    const layout = layoutGraph({
      nodes: [node('a', 'a'), node('b', 'b', 'v1'), node('b2', 'b', 'v2'), node('b3', 'b', 'v3'), node('c', 'c')],
      edges: [edge('a', 'b'), edge('a', 'b2'), edge('a', 'b3'), edge('b', 'c'), edge('c', 'a')],
    });
    const back = layout.edges.find((e) => e.edge.source === 'c.default');
    assert.ok(back && back.route === 'back');
    const b3 = at(layout, 'b3');
    assert.ok(back.label.y > b3.y + b3.height, 'the arc bottom (where the label hangs) is below b v3');
    assert.ok(back.label.y + LABEL_HEIGHT <= layout.height);
  });

  test('a self call is a loop and an unknown endpoint gets a stand-in node', () => {
    const layout = layoutGraph({ nodes: [node('a', 'a')], edges: [edge('a', 'a'), edge('a', 'ghost')] });
    assert.equal(layout.edges.find((e) => e.edge.destination === 'a.default')?.route, 'self');
    const ghost = at(layout, 'ghost');
    assert.equal(ghost.node.kind, 'unknown');
    assert.equal(ghost.node.connected, false);
    assert.equal(ghost.column, 1);
    const loop = layout.edges.find((e) => e.route === 'self');
    assert.ok(loop && loop.labelSide === 'above' && loop.label.y - LABEL_HEIGHT >= 0, 'loop label inside the picture');
  });

  test('an app reached by a longer path moves right of the shorter one', () => {
    const layout = layoutGraph({
      nodes: [node('gw', 'gw', undefined, 'gateway'), node('a', 'a'), node('b', 'b')],
      edges: [edge('gw', 'b'), edge('gw', 'a'), edge('a', 'b')],
    });
    assert.deepEqual(['gw', 'a', 'b'].map((w) => at(layout, w).column), [0, 1, 2]);
  });

  test('a column is ordered by where its callers sit', () => {
    // x calls q, y calls p: p and q follow y and x, not their names.
    const layout = layoutGraph({
      nodes: [node('gw', 'gw', undefined, 'gateway'), node('x', 'x'), node('y', 'y'), node('p', 'p'), node('q', 'q')],
      edges: [edge('gw', 'x'), edge('gw', 'y'), edge('x', 'q'), edge('y', 'p')],
    });
    assert.ok(at(layout, 'x').y < at(layout, 'y').y);
    assert.ok(at(layout, 'q').y < at(layout, 'p').y);
  });
});
