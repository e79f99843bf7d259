// docs/your-services.md, run as written: every file it shows (a block whose first line names a
// path under my-mesh/) is written to a fresh directory, and its commands run there in order, as a
// newcomer would type them: the offline MeshTest, `skiff up --no-samples` starting the two
// versions the WorkloadEntries declare, `skiff ls`, curl through the gateway, the live MeshTest,
// `skiff run` of a third version, the canary, and the MeshTest of the release. The mesh runs on
// ports shifted by PORT_OFFSET (below the range tests draw from), so the doc's 8080 is 8080 + 50.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { get, repoRoot, waitFor } from '@skiff/testing';

const PORT_OFFSET = 50;
const DOC = readFileSync(join(repoRoot, 'docs', 'your-services.md'), 'utf8');

/** The doc's fenced blocks: language and text. */
function blocks(): Array<{ lang: string; text: string }> {
  return [...DOC.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] ?? '', text: m[2] ?? '' }));
}

/** Files the doc shows, in order: a block whose first line is "# my-mesh/…" or "// my-mesh/…". A path shown twice is an edit. */
function docFileVersions(): Array<[path: string, text: string]> {
  return blocks().flatMap((b): Array<[string, string]> => {
    const path = /^(?:#|\/\/) (my-mesh\/\S+)\n/.exec(b.text)?.[1];
    return path ? [[path, b.text]] : [];
  });
}

/** Each file as the doc first shows it. */
function docFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [path, text] of docFileVersions()) files[path] ??= text;
  return files;
}

/** The doc's commands, in order, from its sh blocks. */
const COMMANDS = blocks()
  .filter((b) => b.lang === 'sh')
  .flatMap((b) => b.text.split('\n'))
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => line.startsWith('npm run skiff -- ') || line.startsWith('curl '));

function command(prefix: string): string[] {
  const line = COMMANDS.find((c) => c.startsWith(prefix));
  assert.ok(line, `docs/your-services.md has no command starting "${prefix}"; it has:\n${COMMANDS.join('\n')}`);
  return line.slice('npm run skiff -- '.length).split(/\s+/);
}

interface Ran {
  code: number | null;
  out: string;
}

/** `npm run skiff -- <args>` in the doc's directory, against the shifted mesh. */
function skiff(dir: string, args: string[], options: { offset?: boolean } = {}): Promise<Ran> {
  const shifted = args.map((a) => a.replace(/127\.0\.0\.1:8080/, `127.0.0.1:${8080 + PORT_OFFSET}`));
  const [cmd, ...rest] = shifted;
  const dashes = rest.indexOf('--');
  const flags = options.offset === false ? [] : ['--port-offset', String(PORT_OFFSET)];
  const full = dashes < 0 ? [cmd as string, ...rest, ...flags] : [cmd as string, ...rest.slice(0, dashes), ...flags, ...rest.slice(dashes)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'skiff.mjs'), ...full], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** A long-running command (skiff up, skiff run) until a line of its output matches. */
function background(dir: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const dashes = args.indexOf('--');
  const full = dashes < 0 ? [...args, '--port-offset', String(PORT_OFFSET)] : [...args.slice(0, dashes), '--port-offset', String(PORT_OFFSET), ...args.slice(dashes)];
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'skiff.mjs'), ...full], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      if (ready.test(out)) resolve({ child, output: () => out, exited });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`skiff ${args.join(' ')} exited with ${code} before it was ready:\n${out.slice(-3000)}`)));
  });
}

/** The CI snippets' Skiff commands: "npm run skiff --prefix <where Skiff is> -- …". */
const CI_COMMANDS = blocks()
  .filter((b) => b.lang === 'yaml' && /^# \.(github|gitlab)/.test(b.text))
  .flatMap((b) => [...b.text.matchAll(/npm run skiff --prefix (\S+) -- (.+)$/gm)].map((m) => ({ prefix: m[1] as string, args: (m[2] as string).trim() })));

describe("docs/your-services.md's CI snippets, run as a pipeline would", { timeout: 120_000 }, () => {
  test("both snippets analyze and test a repository's istio/ and mesh-tests/ with npm from the repository, and write JUnit", async () => {
    const prefixes = [...new Set(CI_COMMANDS.map((c) => c.prefix))].sort();
    assert.deepEqual(prefixes, ['/skiff', 'skiff'], 'one GitHub Actions and one GitLab CI snippet');
    const project = mkdtempSync(join(tmpdir(), 'skiff-ci-snippet-'));
    try {
      for (const [path, text] of Object.entries(docFiles())) {
        const target = path.replace('my-mesh/config/', 'istio/').replace('my-mesh/tests/', 'mesh-tests/');
        if (target === path) continue;
        mkdirSync(join(project, dirname(target)), { recursive: true });
        writeFileSync(join(project, target), text);
      }
      for (const { args } of CI_COMMANDS) {
        // As the runner runs it: npm, in the project's directory, with Skiff checked out elsewhere.
        const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
          const child = spawn('npm', ['run', '--silent', 'skiff', '--prefix', repoRoot, '--', ...args.split(/\s+/)], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.stderr.on('data', (c: Buffer) => (out += c.toString()));
          child.once('error', reject);
          child.once('exit', (code) => resolve({ code, out }));
        });
        assert.equal(result.code, 0, `npm run skiff -- ${args}:\n${result.out}`);
      }
      assert.match(readFileSync(join(project, 'mesh-tests.xml'), 'utf8'), /<testsuite name="orders" file="mesh-tests\/orders\.yaml" tests="2" failures="0" errors="0"/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('docs/your-services.md, run as written', { timeout: 300_000 }, () => {
  let dir: string;
  let up: Awaited<ReturnType<typeof background>> | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-your-services-'));
    for (const [path, text] of Object.entries(docFiles())) {
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  });

  after(async () => {
    if (up && up.child.exitCode === null) {
      up.child.kill('SIGINT');
      await up.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the doc shows the service, the config, the tests and the canary as files', () => {
    assert.deepEqual(docFileVersions().map(([path]) => path), ['my-mesh/orders.mjs', 'my-mesh/config/workloads.yaml', 'my-mesh/config/orders.yaml', 'my-mesh/tests/orders.yaml', 'my-mesh/orders-canary.yaml', 'my-mesh/tests/orders.yaml']);
  });

  test('the offline check passes before anything runs', async () => {
    const offline = await skiff(dir, command('npm run skiff -- test -f my-mesh/tests --config'), { offset: false });
    assert.equal(offline.code, 0, offline.out);
    assert.match(offline.out, /2 cases: 2 passed, 0 failed/);
  });

  test('skiff up --no-samples starts both versions from their WorkloadEntries; skiff ls lists them synced; curl reaches v1', async () => {
    up = await background(dir, command('npm run skiff -- up --no-samples'), /mesh ready in/);
    assert.match(up.output(), /orders-v1\s+http:\/\/orders:7000\s+\(node \.\.\/orders\.mjs\)/);
    const ls = await waitFor('skiff ls to list both versions SYNCED', async () => {
      const run = await skiff(dir, command('npm run skiff -- ls'));
      return /orders-v1\.default .* SYNCED/.test(run.out) && /orders-v2\.default .* SYNCED/.test(run.out) ? run : undefined;
    }, 20_000, 300);
    assert.match(ls.out, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/orders/);
    const curl = COMMANDS.find((c) => c.startsWith('curl '));
    assert.equal(curl, 'curl http://127.0.0.1:8080/orders/1');
    const answer = await waitFor('orders v1 through the gateway', async () => {
      const res = await get(`http://127.0.0.1:${8080 + PORT_OFFSET}/orders/1`);
      return res.status === 200 ? res : undefined;
    }, 20_000, 300);
    assert.equal(answer.text, 'orders v1\n');
  });

  test('the live check passes against the running mesh', async () => {
    const live = await skiff(dir, command('npm run skiff -- test -f my-mesh/tests --live'));
    assert.equal(live.code, 0, live.out);
  });

  test('skiff run joins a third version by hand, and Ctrl-C takes it out again', async () => {
    const run = await background(dir, command('npm run skiff -- run --name orders-v3'), /orders-v3\.default is in the mesh/);
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0, run.output());
  });

  test('the canary promotes v2; the MeshTest then fails, as the doc says, and its new version passes', async () => {
    const canary = await skiff(dir, command('npm run skiff -- scenario run canary'));
    assert.equal(canary.code, 0, canary.out);
    assert.match(canary.out, /promot/i);
    assert.match(readFileSync(join(dir, 'my-mesh/config/orders.yaml'), 'utf8'), /subset: v2 ?\}\n\s+weight: 100/);
    const old = await waitFor('the old MeshTest to fail once v2 has everything', async () => {
      const r = await skiff(dir, ['test', '-f', 'my-mesh/tests', '--live']);
      return r.code === 1 ? r : undefined;
    }, 15_000, 500);
    assert.match(old.out, /✖ v2 gets nothing before its release/);
    const [, edited] = docFileVersions().filter(([path]) => path === 'my-mesh/tests/orders.yaml')[1] ?? assert.fail('the doc shows no new version of my-mesh/tests/orders.yaml');
    writeFileSync(join(dir, 'my-mesh/tests/orders.yaml'), edited);
    const released = await skiff(dir, command('npm run skiff -- test -f my-mesh/tests/orders.yaml --live'));
    assert.equal(released.code, 0, released.out);
    assert.match(released.out, /1 case: 1 passed/);
  });
});
