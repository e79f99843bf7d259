#!/usr/bin/env node
// Builds the dashboard's browser files: client/main.ts bundled to app.js, with index.html and
// styles.css beside it. The control plane serves that folder on its dashboard port.
//   node apps/dashboard/build.mjs [outdir]     (default: dist/apps/dashboard in the repo)
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
export const defaultOutdir = join(root, 'dist/apps/dashboard');

/**
 * The built files in memory, by name: app.js, app.js.map, index.html, styles.css. The control
 * plane serves these straight from a source checkout; `outdir` only anchors the source map's paths.
 */
export async function bundleDashboard(outdir = defaultOutdir) {
  const result = await build({
    entryPoints: [join(here, 'client/main.ts')],
    outfile: join(resolve(outdir), 'app.js'),
    write: false,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: true,
    // Resolve @skiff/telemetry as the client type-check does (its view types only), so a value
    // import by mistake fails here instead of bundling node code for the browser.
    tsconfig: join(here, 'client/tsconfig.json'),
    logLevel: 'warning',
  });
  /** @type {Record<string, Uint8Array | string>} */
  const files = {};
  for (const output of result.outputFiles) files[basename(output.path)] = output.contents;
  for (const name of ['index.html', 'styles.css']) files[name] = readFileSync(join(here, 'client', name), 'utf8');
  return files;
}

/** Writes app.js (+ app.js.map), index.html and styles.css to `outdir`; returns their paths. */
export async function buildDashboard(outdir = defaultOutdir) {
  const out = resolve(outdir);
  const files = await bundleDashboard(out);
  mkdirSync(out, { recursive: true });
  return Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, body]) => {
      writeFileSync(join(out, name), body);
      return join(out, name);
    });
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shown(path) {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`usage: node apps/dashboard/build.mjs [outdir]

Bundles apps/dashboard/client into <outdir>: app.js (+ source map), index.html, styles.css.
outdir defaults to ${shown(defaultOutdir)}`);
    process.exit(0);
  }
  if (args.length > 1) {
    console.error('usage: node apps/dashboard/build.mjs [outdir]');
    process.exit(2);
  }
  try {
    const files = await buildDashboard(args[0] ?? defaultOutdir);
    console.log(`built ${files.map(shown).join(', ')}`);
  } catch (error) {
    // esbuild has already printed the located errors.
    console.error(`dashboard build failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    process.exit(1);
  }
}
