// Finds the dashboard's browser files (apps/dashboard). The control plane does not import the
// dashboard app (apps never import apps); it serves its build output:
//   --dashboard-dir <dir>                 a built dashboard (images: dist/apps/dashboard)
//   a source checkout (npm start, tests)  built in memory at start-up with the app's own build
//                                         script, so what is served always matches the source
//   dist/apps/dashboard                   a build left by `nx build dashboard`
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface DashboardAssets {
  files: Map<string, { type: string; body: Buffer }>;
  /** Where they came from, for the log. */
  origin: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const typeOf = (name: string) => TYPES[extname(name)] ?? 'application/octet-stream';

function fromDirectory(dir: string): DashboardAssets {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`${dir} holds no index.html; build the dashboard with \`npx nx build dashboard\` or point --dashboard-dir at its output`);
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(dir)) files.set(`/${name}`, { type: typeOf(name), body: readFileSync(join(dir, name)) });
  return { files, origin: dir };
}

export async function loadDashboardAssets(dir: string | undefined, cwd = process.cwd()): Promise<DashboardAssets> {
  if (dir) return fromDirectory(resolve(cwd, dir));
  const script = join(cwd, 'apps', 'dashboard', 'build.mjs');
  if (existsSync(script)) {
    const build = (await import(pathToFileURL(script).href)) as { bundleDashboard: () => Promise<Record<string, Uint8Array | string>> };
    const files = new Map<string, { type: string; body: Buffer }>();
    for (const [name, body] of Object.entries(await build.bundleDashboard())) files.set(`/${name}`, { type: typeOf(name), body: Buffer.from(body) });
    return { files, origin: `${script} (built in memory)` };
  }
  return fromDirectory(join(cwd, 'dist', 'apps', 'dashboard'));
}
