// The build script end to end: what the control plane serves must exist, load in a browser
// without node, and carry the hooks the browser tests use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../build.mjs', import.meta.url));

test('build.mjs writes app.js, its map, index.html and styles.css', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'skiff-dashboard-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  // From another working directory: the script finds its sources from its own location.
  const run = spawnSync(process.execPath, [script, out], { cwd: tmpdir(), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout.trim(), /^built .*app\.js.*index\.html.*styles\.css$/);
  assert.deepEqual(readdirSync(out).sort(), ['app.js', 'app.js.map', 'index.html', 'styles.css']);

  const app = readFileSync(join(out, 'app.js'), 'utf8');
  assert.doesNotMatch(app, /from\s*["']node:|require\(|process\.env/, 'nothing of node in the browser bundle');
  assert.doesNotMatch(app, /^\s*import\s/m, 'one self-contained file');
  assert.match(app, /sourceMappingURL=app\.js\.map/);

  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /<title>Skiff dashboard<\/title>/);
  assert.match(html, /<link rel="stylesheet" href="\/styles\.css"/);
  assert.match(html, /<script type="module" src="\/app\.js"><\/script>/);
  for (const id of ['graph', 'config', 'proxies', 'traces']) assert.match(html, new RegExp(`<section id="${id}"`));
  assert.match(html, /id="connection" data-state="reconnecting"/);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no external resources: it works offline');
});

test('build.mjs --help prints usage and exits 0', () => {
  const run = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8' });
  assert.equal(run.status, 0);
  assert.match(run.stdout, /^usage: node apps\/dashboard\/build\.mjs \[outdir\]/);
});
