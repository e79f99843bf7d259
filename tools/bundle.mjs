#!/usr/bin/env node
// Builds one app with esbuild: dist/apps/<name>/main.js, chunks for what it imports lazily
// (e.g. the OpenTelemetry SDK, loaded only when a proxy traces), and the .proto files it loads at run time. Images and `node dist/...` run this output, no tsx needed.
//   node tools/bundle.mjs apps/<name>
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir || dir === '--help') {
  console.log('usage: node tools/bundle.mjs apps/<name>   (writes dist/apps/<name>/main.js)');
  process.exit(dir ? 0 : 2);
}
const entry = join(dir, 'src/main.ts');
if (!existsSync(entry)) {
  console.error(`${entry} not found: an app needs src/main.ts as its entry point`);
  process.exit(1);
}
const outdir = join('dist', dir);
// Worker threads (src/**/<name>.worker.ts) are entry points of their own: <name>.worker.js beside
// main.js, where the code that starts them looks (see apps/control-plane/src/config/config-parser.ts).
const workers = readdirSync(join(dir, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.worker.ts'));
mkdirSync(outdir, { recursive: true });
// Chunk names carry a content hash: drop the previous build's files, or they pile up in images.
for (const name of readdirSync(outdir)) if (/\.js(\.map)?$/.test(name)) rmSync(join(outdir, name));
await build({
  entryPoints: [{ in: entry, out: 'main' }, ...workers.map((f) => ({ in: join(dir, 'src', f), out: f.split('/').pop().replace(/\.ts$/, '') }))],
  outdir,
  // A dynamic import() becomes its own file, read only if the code path runs.
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Whitespace and syntax only: identifiers stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
});
cpSync('libs/protocol/proto', join(outdir, 'proto'), { recursive: true });
cpSync('libs/sample-kit/proto', join(outdir, 'proto'), { recursive: true });
console.log(`built ${outdir}/main.js`);
