// The dashboard page: fetch the current state once, then follow /api/events and redraw each
// part as its event arrives.
import type { DashboardEvents, MeshGraph, ScenarioView, TraceDetail, TraceSummary } from '@skiff/telemetry';
import { byId } from './dom.js';
import { renderGraph } from './render-graph.js';
import { renderScenario } from './render-scenario.js';
import { renderConfig, renderProxies } from './render-tables.js';
import { markSelected, renderTraceList, renderWaterfall, renderWaterfallMessage } from './render-traces.js';

type Kind = keyof DashboardEvents;
const KINDS: Kind[] = ['graph', 'config', 'proxies', 'traces', 'scenario'];
const URLS: Record<Kind, string> = { graph: '/api/graph', config: '/api/config', proxies: '/api/proxies', traces: '/api/traces', scenario: '/api/scenario' };
/** Only when the browser gives up on the stream (it retries transient drops itself). */
const REOPEN_MS = 3000;
/** Certificate countdowns go stale between proxy events. */
const CLOCK_MS = 30_000;

const sections = {
  graph: byId('graph'),
  config: byId('config'),
  proxies: byId('proxies'),
  traces: byId('traces'),
  scenario: byId('scenario'),
};
const connection = byId('connection');
const waterfall = byId('waterfall');

const state: { proxies?: DashboardEvents['proxies']; scenario?: ScenarioView | null; selected?: string; selectedSpans?: number } = {};
/** Kinds the stream has delivered: a slower initial fetch must not overwrite them with older data. */
const streamed = new Set<Kind>();

function apply<K extends Kind>(kind: K, data: DashboardEvents[K]): void {
  try {
    if (kind === 'graph') renderGraph(sections.graph, data as MeshGraph);
    else if (kind === 'config') renderConfig(sections.config, data as DashboardEvents['config']);
    else if (kind === 'proxies') {
      state.proxies = data as DashboardEvents['proxies'];
      renderProxies(sections.proxies, state.proxies, Date.now());
    } else if (kind === 'scenario') {
      state.scenario = data as ScenarioView | null;
      renderScenario(sections.scenario, state.scenario, Date.now());
    } else onTraces(data as TraceSummary[]);
  } catch (error) {
    // One bad message must not stop the page following the others.
    console.error(`dashboard: could not show ${kind}`, error);
  }
}

function onTraces(traces: TraceSummary[]): void {
  // Rows are rebuilt: keep keyboard focus on the trace it was on.
  const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('tr[data-trace]')?.dataset.trace;
  renderTraceList(sections.traces, traces, state.selected);
  if (focused) sections.traces.querySelector<HTMLElement>(`tr[data-trace="${CSS.escape(focused)}"]`)?.focus();
  // The open trace grew (late spans arrived): fetch it again.
  const open = traces.find((t) => t.traceId === state.selected);
  if (open && state.selectedSpans !== undefined && open.spanCount !== state.selectedSpans) void showTrace(open.traceId, false);
}

async function showTrace(traceId: string, announce: boolean): Promise<void> {
  state.selected = traceId;
  markSelected(sections.traces, traceId);
  if (announce) renderWaterfallMessage(waterfall, traceId, 'Loading spans…');
  try {
    const response = await fetch(`/api/traces/${encodeURIComponent(traceId)}`);
    if (state.selected !== traceId) return; // another trace was picked meanwhile
    if (response.status === 404) {
      state.selectedSpans = undefined;
      renderWaterfallMessage(waterfall, traceId, 'This trace is no longer kept (only recent traces are).');
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const detail = (await response.json()) as TraceDetail;
    if (state.selected !== traceId) return;
    state.selectedSpans = detail.spans.length;
    renderWaterfall(waterfall, detail);
  } catch (error) {
    if (state.selected === traceId) renderWaterfallMessage(waterfall, traceId, `Could not load the trace: ${String(error)}`);
  }
}

function setConnection(live: boolean, text: string): void {
  connection.dataset.state = live ? 'live' : 'reconnecting';
  const label = connection.querySelector('.label');
  if (label) label.textContent = text;
  connection.title = live ? 'following /api/events' : 'the event stream is down; retrying';
}

function connect(): void {
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => setConnection(true, 'live'));
  events.addEventListener('error', () => {
    setConnection(false, 'reconnecting…');
    // CLOSED means the browser stopped retrying (e.g. an HTTP error): start over ourselves.
    if (events.readyState === EventSource.CLOSED) setTimeout(connect, REOPEN_MS);
  });
  for (const kind of KINDS) {
    events.addEventListener(kind, (event) => {
      let data: unknown;
      try {
        data = JSON.parse((event as MessageEvent<string>).data);
      } catch {
        console.error(`dashboard: ${kind} event is not JSON`);
        return;
      }
      streamed.add(kind);
      apply(kind, data as DashboardEvents[typeof kind]);
    });
  }
}

async function loadInitial(kind: Kind): Promise<void> {
  try {
    const response = await fetch(URLS[kind]);
    if (!response.ok) return;
    const data = (await response.json()) as DashboardEvents[typeof kind];
    if (!streamed.has(kind)) apply(kind, data);
  } catch {
    // The stream will bring it; the indicator already says we are not connected.
  }
}

function pickFrom(event: Event): void {
  const row = (event.target as Element | null)?.closest<HTMLElement>('tr[data-trace]');
  const traceId = row?.dataset.trace;
  if (traceId) void showTrace(traceId, true);
}

// One listener on the table survives the rows being replaced on every traces event.
const traceTable = sections.traces.querySelector('table');
traceTable?.addEventListener('click', pickFrom);
traceTable?.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    pickFrom(event);
  }
});

setConnection(false, 'connecting…');
for (const kind of KINDS) void loadInitial(kind);
connect();
setInterval(() => {
  if (state.proxies) renderProxies(sections.proxies, state.proxies, Date.now());
  // A run that stopped reporting turns stale without any event.
  if (state.scenario?.state === 'running') renderScenario(sections.scenario, state.scenario, Date.now());
}, CLOCK_MS);
