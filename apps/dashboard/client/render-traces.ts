// The traces panel: the recent traces, and for the one picked, a waterfall of its spans.
import type { TraceDetail, TraceSummary } from '@skiff/telemetry';
import { formatDuration } from '../src/format.js';
import { axisTicks, buildWaterfall } from '../src/trace-tree.js';
import { clock, h } from './dom.js';

const PALETTE_SIZE = 8;
const INDENT_PX = 14;

/**
 * Colours by order of first sight, so the few services of a mesh get distinct ones (hashing
 * names into eight colours often gives two services the same). Stable for the page's life.
 */
const colours = new Map<string, number>();
function colourOf(service: string): string {
  let slot = colours.get(service);
  if (slot === undefined) {
    slot = colours.size % PALETTE_SIZE;
    colours.set(service, slot);
  }
  return `svc-${slot}`;
}

/** "reviews.default" -> "reviews": the namespace is the same everywhere in the sample mesh. */
const shortService = (service: string): string => service.replace(/\.[^.]*$/, '') || service;

function serviceChip(service: string): HTMLElement {
  return h('span', { class: `svc ${colourOf(shortService(service))}`, title: service }, shortService(service));
}

export function renderTraceList(section: HTMLElement, traces: TraceSummary[], selected: string | undefined): void {
  const tbody = section.querySelector('tbody');
  const meta = section.querySelector('.panel-meta');
  if (!tbody) return;
  if (meta) meta.textContent = `${traces.length} kept · click one for its spans`;
  const rows = traces.map((t) =>
    h(
      'tr',
      {
        'data-trace': t.traceId,
        'data-error': String(t.error),
        class: `trace${t.error ? ' error' : ''}${t.traceId === selected ? ' selected' : ''}`,
        tabindex: 0,
        'aria-selected': String(t.traceId === selected),
        title: `trace ${t.traceId}`,
      },
      h('td', { class: 'time' }, clock(t.startTime)),
      h('td', { class: 'root' }, t.error ? h('span', { class: 'error-mark', title: 'a span failed' }, '✖ ') : null, t.rootName),
      h('td', { class: 'services' }, ...t.services.map(serviceChip)),
      h('td', { class: 'num' }, formatDuration(t.durationMs)),
      h('td', { class: 'num' }, t.spanCount),
    ),
  );
  tbody.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 5, class: 'none' }, 'No traces yet: send some requests through the gateway'))]));
}

/** Moves the highlight without rebuilding the rows, so keyboard focus stays put. */
export function markSelected(section: HTMLElement, traceId: string): void {
  for (const row of section.querySelectorAll<HTMLElement>('tr[data-trace]')) {
    const on = row.dataset.trace === traceId;
    row.classList.toggle('selected', on);
    row.setAttribute('aria-selected', String(on));
  }
}

/** Shows a message in place of the waterfall (loading, gone, failed). */
export function renderWaterfallMessage(container: HTMLElement, traceId: string, message: string): void {
  container.hidden = false;
  container.dataset.trace = traceId;
  container.replaceChildren(h('p', { class: 'waterfall-message' }, message));
}

export function renderWaterfall(container: HTMLElement, detail: TraceDetail): void {
  const waterfall = buildWaterfall(detail.spans);
  const total = waterfall.totalMs;
  container.hidden = false;
  container.dataset.trace = detail.traceId;

  const title = h(
    'h3',
    { class: 'waterfall-title' },
    'Trace ',
    h('code', { title: detail.traceId }, detail.traceId),
    h('span', { class: 'panel-meta' }, ` ${detail.spans.length} spans · ${formatDuration(total)}`),
  );
  const axis = h(
    'div',
    { class: 'axis' },
    h('div', { class: 'span-label' }, 'service · span'),
    h(
      'div',
      { class: 'track' },
      ...axisTicks(total).map((t) => {
        const pct = total > 0 ? (t / total) * 100 : 0;
        // Ticks near the right end hang leftwards so their text stays inside the panel.
        return h('span', { class: `tick${pct > 80 ? ' end' : ''}`, style: `left: ${pct.toFixed(3)}%` }, formatDuration(t));
      }),
    ),
  );

  const rows = waterfall.rows.map(({ span, depth, leftPct, widthPct, offsetMs, orphan }) =>
    h(
      'div',
      {
        class: `span-row${span.error ? ' error' : ''}${orphan ? ' orphan' : ''}`,
        'data-span': span.spanId,
        'data-parent': span.parentSpanId,
        'data-depth': depth,
        title: `${span.service} ${span.name}\n${span.kind} · starts at +${formatDuration(offsetMs)} · ${formatDuration(span.durationMs)}${orphan ? '\nparent span not received' : ''}${
          Object.keys(span.attributes).length > 0 ? '\n' + Object.entries(span.attributes).map(([k, v]) => `${k}=${String(v)}`).join('\n') : ''
        }`,
      },
      h(
        'div',
        { class: 'span-label', style: `padding-left: ${depth * INDENT_PX + 4}px` },
        serviceChip(span.service),
        h('span', { class: 'span-name' }, span.name),
        h('span', { class: 'span-duration' }, formatDuration(span.durationMs)),
      ),
      h(
        'div',
        { class: 'track' },
        h('span', { class: `bar ${colourOf(shortService(span.service))}`, style: `left: ${leftPct.toFixed(3)}%; width: ${widthPct.toFixed(3)}%` }),
      ),
    ),
  );
  container.replaceChildren(title, axis, ...rows);
}
