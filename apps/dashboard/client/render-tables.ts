// The config and proxies panels: plain tables, their bodies replaced on each update.
import type { ConfigIssueView, ConfigView, ProxyView } from '@skiff/telemetry';
import { formatExpiresIn } from '../src/format.js';
import { breakable, clock, h } from './dom.js';

const bySeverity = (a: ConfigIssueView, b: ConfigIssueView): number => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1);

/** Errors first: a rejected file is why a change "did nothing", the thing to see from the back row. */
function issues(config: ConfigView): HTMLElement {
  if (config.issues.length === 0) return h('p', { class: 'all-clear' }, '✓ No validation messages');
  return h(
    'ul',
    { class: 'issues' },
    ...[...config.issues].sort(bySeverity).map((issue) =>
      h(
        'li',
        { class: `issue ${issue.severity}`, 'data-severity': issue.severity },
        h('span', { class: `badge ${issue.severity}` }, issue.severity),
        h('span', { class: 'issue-text' }, issue.text),
        issue.file && !issue.text.includes(issue.file) ? h('span', { class: 'issue-file' }, issue.file) : null,
      ),
    ),
  );
}

function files(config: ConfigView): HTMLElement {
  return h(
    'ul',
    { class: 'files' },
    ...config.files.map((f) =>
      h(
        'li',
        { class: `file${f.rejected ? ' rejected' : ''}`, 'data-file': f.file, 'data-rejected': String(f.rejected), title: f.rejected ? 'rejected: the last good version stays in force' : 'loaded' },
        f.rejected ? '✗ ' : '✓ ',
        f.file,
      ),
    ),
  );
}

function resources(config: ConfigView): HTMLElement {
  const rows = [...config.resources]
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((r) =>
      h(
        'tr',
        { 'data-resource': `${r.kind}/${r.namespace}/${r.name}` },
        h('td', { class: 'kind' }, r.kind),
        h('td', {}, h('span', { class: 'muted' }, `${r.namespace}/`), r.name),
        h('td', { class: 'file-cell' }, ...breakable(r.file ?? '', '/')),
      ),
    );
  return h(
    'table',
    { class: 'resources' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Namespace/name'), h('th', {}, 'File'))),
    h('tbody', {}, ...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 3, class: 'none' }, 'No resources in force'))])),
  );
}

export function renderConfig(section: HTMLElement, config: ConfigView): void {
  const body = section.querySelector('.panel-body');
  const meta = section.querySelector('.panel-meta');
  if (!body) return;
  const errors = config.issues.filter((i) => i.severity === 'error').length;
  section.dataset.errors = String(errors);
  section.classList.toggle('has-errors', errors > 0);
  if (meta) meta.textContent = `${config.resources.length} resources · loaded ${clock(config.loadedAt)}`;
  body.replaceChildren(issues(config), files(config), resources(config));
}

function versions(p: ProxyView): HTMLElement {
  if (p.sentVersion === p.ackedVersion) return h('span', { class: 'version', title: `sent and ACKed ${p.sentVersion}` }, p.sentVersion || '–');
  return h(
    'span',
    { class: 'version behind', title: `sent ${p.sentVersion}, ACKed ${p.ackedVersion || 'nothing yet'}` },
    h('span', {}, `sent ${p.sentVersion || '–'}`),
    h('br'),
    h('span', {}, `acked ${p.ackedVersion || '–'}`),
  );
}

function identity(p: ProxyView, nowMs: number): HTMLElement | string {
  if (!p.identity) return h('span', { class: 'muted' }, 'no certificate');
  const expires = formatExpiresIn(p.identity.notAfter, nowMs);
  return h(
    'span',
    { class: 'identity' },
    h('span', { class: 'spiffe' }, ...breakable(p.identity.spiffeId, '/')),
    h('br'),
    h('span', { class: `expiry${expires.startsWith('expired') ? ' expired' : ''}`, title: p.identity.notAfter }, expires),
  );
}

export function renderProxies(section: HTMLElement, proxies: ProxyView[], nowMs: number): void {
  const tbody = section.querySelector('tbody');
  const meta = section.querySelector('.panel-meta');
  if (!tbody) return;
  const synced = proxies.filter((p) => p.synced).length;
  if (meta) meta.textContent = `${synced}/${proxies.length} synced`;
  const rows = [...proxies]
    .sort((a, b) => (a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind === 'gateway' ? -1 : 1))
    .map((p) =>
      h(
        'tr',
        { 'data-proxy': p.id, 'data-synced': String(p.synced), class: p.nacks > 0 && p.lastNack ? 'nacked' : '' },
        h('td', { class: 'proxy-id' }, ...breakable(p.id, '.')),
        h('td', {}, p.kind),
        h('td', {}, h('span', { class: `pill ${p.synced ? 'yes' : 'no'}` }, p.synced ? 'yes' : 'no')),
        h('td', {}, versions(p)),
        h('td', { class: 'num' }, p.pushes),
        h('td', { class: `num${p.nacks > 0 ? ' bad' : ''}` }, p.nacks),
        h('td', { class: 'nack', title: p.lastNack ?? '' }, p.lastNack ?? h('span', { class: 'muted' }, '–')),
        h('td', {}, identity(p, nowMs)),
      ),
    );
  tbody.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 8, class: 'none' }, 'No proxies connected'))]));
}
