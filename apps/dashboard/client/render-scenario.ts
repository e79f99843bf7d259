// The scenario panel: what `skiff scenario run` is doing (its step, the weights in force, the
// checks so far) or what it concluded. Hidden until a scenario has run.
import type { ScenarioView } from '@skiff/telemetry';
import { formatScenarioProgress } from '../src/format.js';
import { clock, h } from './dom.js';

function weightsBar(weights: Record<string, number>): HTMLElement {
  const entries = Object.entries(weights);
  return h(
    'div',
    { class: 'weights', role: 'img', 'aria-label': `weights: ${entries.map(([k, w]) => `${k} ${w}%`).join(', ')}` },
    ...entries.map(([subset, weight], i) => h('span', { class: `weight w${i % 4}`, style: `flex-grow: ${Math.max(weight, 0.0001)}`, 'data-subset': subset, 'data-weight': weight }, `${subset} ${weight}%`)),
  );
}

function checks(view: ScenarioView): HTMLElement {
  if (view.checks.length === 0) return h('p', { class: 'none' }, view.state === 'running' ? 'Checks appear as they complete…' : 'No checks');
  return h(
    'ul',
    { class: 'checks' },
    ...view.checks.map((c) =>
      h(
        'li',
        { class: `check ${c.ok === undefined ? 'info' : c.ok ? 'ok' : 'bad'}`, 'data-check': c.name, 'data-ok': c.ok === undefined ? 'info' : String(c.ok) },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, c.ok === undefined ? '·' : c.ok ? '✔' : '✖'),
        h('span', { class: 'check-name' }, c.name),
        h('span', { class: 'check-detail' }, c.detail),
      ),
    ),
  );
}

export function renderScenario(section: HTMLElement, view: ScenarioView | null, nowMs: number): void {
  section.hidden = view === null;
  if (!view) return;
  const { text, stale } = formatScenarioProgress(view, nowMs);
  section.dataset.state = stale ? 'stale' : view.state;
  section.dataset.scenario = view.name;
  const title = section.querySelector('.scenario-title');
  const meta = section.querySelector('.panel-meta');
  const body = section.querySelector('.panel-body');
  if (title) title.textContent = `Scenario: ${view.name}`;
  if (meta) meta.textContent = `${text} · ${clock(view.updatedAt)}`;
  const parts: Array<HTMLElement | null> = [
    h('p', { class: 'scenario-summary' }, view.summary),
    h('p', { class: 'scenario-step' }, h('strong', {}, view.step.title)),
    view.step.explain ? h('p', { class: 'scenario-explain' }, view.step.explain) : null,
    view.weights ? weightsBar(view.weights) : null,
    checks(view),
    view.verdict ? h('p', { class: `verdict ${view.state}` }, view.verdict) : null,
  ];
  body?.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
}
