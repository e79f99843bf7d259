// The config directory as an attacker, a careless script or a slow editor may leave it: files
// too large, links to devices, FIFOs, files written in pieces, emptied files, one resource in
// two files. The real file source (real files, the real parser thread) must keep the last good
// config in force and say what is wrong and where.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ConfigSet } from './config-set.js';
import { ConfigParser } from './config-parser.js';
import { FileConfigSource } from './file-source.js';

const vs = (name: string, weights: [number, number] = [90, 10]) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name} }
spec:
  hosts: [${name}]
  http:
  - route:
    - destination: { host: ${name}, subset: v1 }
      weight: ${weights[0]}
    - destination: { host: ${name}, subset: v2 }
      weight: ${weights[1]}
`;

const issueTexts = (set: ConfigSet) => set.issues.map((i) => `${i.severity} ${i.file}:${i.line} ${i.message}`);

const weightsOf = (set: ConfigSet, name: string) =>
  set.resources
    .filter((r) => r.kind === 'VirtualService' && r.metadata.name === name)
    .map((r) => (r.spec as { http: Array<{ route: Array<{ weight?: number }> }> }).http[0]?.route.map((d) => d.weight));

/** A directory, a source on it, and every set the source reported, in order. */
function useSource(limits: { maxFileBytes?: number; maxDirBytes?: number; settleMs?: number } = {}, parser?: ConfigParser) {
  const ctx = { dir: '', source: undefined as unknown as FileConfigSource, sets: [] as ConfigSet[], changed: [] as string[][] };
  before(() => {
    ctx.dir = mkdtempSync(join(tmpdir(), 'skiff-file-source-'));
  });
  after(async () => {
    await ctx.source?.stop();
    rmSync(ctx.dir, { recursive: true, force: true });
  });
  return Object.assign(ctx, {
    async start(): Promise<ConfigSet> {
      ctx.source = new FileConfigSource(ctx.dir, (set, changed) => {
        ctx.sets.push(set);
        ctx.changed.push(changed);
      }, { limits, ...(parser ? { parser } : {}) });
      return ctx.source.start();
    },
    /** Waits until the latest set reported satisfies `check`. */
    async until(check: (set: ConfigSet) => boolean, what: string, ms = 10_000): Promise<ConfigSet> {
      const end = Date.now() + ms;
      for (;;) {
        const latest = ctx.sets.at(-1);
        if (latest && check(latest)) return latest;
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; the latest set's issues: ${latest ? issueTexts(latest).join(' | ') : '(none)'}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async next(count = ctx.sets.length + 1, ms = 10_000): Promise<ConfigSet> {
      const end = Date.now() + ms;
      while (ctx.sets.length < count) {
        if (Date.now() > end) throw new Error(`no config change reported within ${ms} ms (have ${ctx.sets.length}, want ${count})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return ctx.sets[count - 1] as ConfigSet;
    },
  });
}

describe('config files that cannot be trusted', () => {
  // A settle time well above the 300 ms between the two chunks below, so a loaded machine that
  // runs the second write late does not turn one write into two.
  const s = useSource({ maxFileBytes: 64 * 1024, maxDirBytes: 160 * 1024, settleMs: 1_200 });

  test('an oversized file is refused before it is read, naming the file and the limit; its last good version stays', async () => {
    writeFileSync(join(s.dir, 'reviews.yaml'), vs('reviews'));
    const first = await s.start();
    assert.deepEqual(weightsOf(first, 'reviews'), [[90, 10]]);
    writeFileSync(join(s.dir, 'reviews.yaml'), vs('reviews', [50, 50]) + `# ${'x'.repeat(70 * 1024)}\n`);
    const set = await s.next();
    assert.deepEqual(weightsOf(set, 'reviews'), [[90, 10]], 'the last good version is in force');
    assert.ok(set.files.find((f) => f.file.endsWith('reviews.yaml'))?.rejected);
    assert.match(issueTexts(set).join('\n'), /error .*reviews\.yaml:1 the file is 70\.\d KiB, over the limit of 64\.0 KiB per config file; split it, or raise --max-config-file-size/);
  });

  test('a link to /dev/zero and a FIFO are refused as not regular files, without hanging the source', async () => {
    symlinkSync('/dev/zero', join(s.dir, 'zero.yaml'));
    execFileSync('mkfifo', [join(s.dir, 'pipe.yaml')]);
    const has = (set: ConfigSet, file: string) => set.files.some((f) => f.file.endsWith(file));
    const set = await s.until((x) => has(x, 'zero.yaml') && has(x, 'pipe.yaml'), 'both files to be reported');
    assert.match(issueTexts(set).join('\n'), /zero\.yaml:1 not a regular file \(a character device\)/);
    assert.match(issueTexts(set).join('\n'), /pipe\.yaml:1 not a regular file \(a FIFO\)/);
    assert.deepEqual(weightsOf(set, 'reviews'), [[90, 10]]);
    unlinkSync(join(s.dir, 'zero.yaml'));
    unlinkSync(join(s.dir, 'pipe.yaml'));
    await s.until((x) => !has(x, 'zero.yaml') && !has(x, 'pipe.yaml'), 'both files to be gone');
  });

  test('a file written in two chunks 300 ms apart is applied once, whole', async () => {
    const before = s.sets.length;
    const text = vs('ratings') + '---\n' + vs('details');
    const cut = text.indexOf('---');
    writeFileSync(join(s.dir, 'two-chunks.yaml'), text.slice(0, cut)); // a valid file by itself: ratings only
    await new Promise((r) => setTimeout(r, 300));
    appendFileSync(join(s.dir, 'two-chunks.yaml'), text.slice(cut));
    const set = await s.next(before + 1);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(s.sets.length, before + 1, 'one change, not one per chunk');
    assert.deepEqual(weightsOf(set, 'details'), [[90, 10]], 'the second half is there');
    assert.deepEqual(weightsOf(set, 'ratings'), [[90, 10]]);
  });

  test('a file that becomes empty keeps its resources in force and says so; deleting it removes them', async () => {
    writeFileSync(join(s.dir, 'two-chunks.yaml'), '# nothing here any more\n');
    const set = await s.until((x) => x.issues.some((i) => i.message.includes('no resources now')), 'the warning about the emptied file');
    assert.deepEqual(weightsOf(set, 'details'), [[90, 10]]);
    assert.match(issueTexts(set).join('\n'), /warning .*two-chunks\.yaml:1 the file has no resources now \(empty, or only comments\); the 2 resource\(s\) it defined stay in force\. Delete the file to remove them/);
    unlinkSync(join(s.dir, 'two-chunks.yaml'));
    await s.until((x) => weightsOf(x, 'details').length === 0, 'details to leave with its file');
  });

  test("a file of WorkloadEntries alone (skiff up's, not the control plane's) is not called empty", async () => {
    writeFileSync(join(s.dir, 'workloads.yaml'), 'apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: orders-v1}\nspec: {labels: {app: orders}, ports: {http: 7000}}\n');
    const set = await s.until((x) => x.files.some((f) => f.file.endsWith('workloads.yaml')), 'the file of WorkloadEntries');
    assert.deepEqual(set.issues.filter((i) => i.file.endsWith('workloads.yaml')), []);
    unlinkSync(join(s.dir, 'workloads.yaml'));
    await s.until((x) => !x.files.some((f) => f.file.endsWith('workloads.yaml')), 'the file to be gone');
  });

  test('a second file defining the same VirtualService does not replace it: both places are named', async () => {
    writeFileSync(join(s.dir, 'a-override.yaml'), `# sorts before reviews.yaml, and must still not win\n${vs('reviews', [50, 50])}`);
    const set = await s.until((x) => x.files.some((f) => f.file.endsWith('a-override.yaml')), 'the second file');
    assert.deepEqual(weightsOf(set, 'reviews'), [[90, 10]]);
    const text = issueTexts(set).join('\n');
    assert.match(text, /warning .*a-override\.yaml:2 VirtualService default\/reviews is defined twice: here and in .*reviews\.yaml:1, which was in force first and stays/);
    assert.match(text, /warning .*reviews\.yaml:1 VirtualService default\/reviews is also defined in .*a-override\.yaml:2; this definition stays in force/);
    unlinkSync(join(s.dir, 'a-override.yaml'));
    await s.until((x) => !x.files.some((f) => f.file.endsWith('a-override.yaml')), 'the second file to be gone');
  });

  test('the directory as a whole is held to its limit', async () => {
    const big = (name: string) => vs(name) + `# ${'y'.repeat(60 * 1024)}\n`;
    writeFileSync(join(s.dir, 'big-1.yaml'), big('big-one'));
    writeFileSync(join(s.dir, 'big-2.yaml'), big('big-two'));
    await s.until((x) => weightsOf(x, 'big-one').length === 1 && weightsOf(x, 'big-two').length === 1, 'two large files');
    writeFileSync(join(s.dir, 'big-3.yaml'), big('big-three'));
    const third = await s.until((x) => x.files.some((f) => f.file.endsWith('big-3.yaml')), 'the third large file');
    assert.deepEqual(weightsOf(third, 'big-three'), []);
    assert.match(issueTexts(third).join('\n'), /big-3\.yaml:1 with this file the config directory would hold 18\d\.\d KiB, over the limit of 160\.0 KiB; remove files, or raise --max-config-dir-size/);
  });
});

describe('parsing off the event loop', () => {
  test('a large file parses on the worker: the event loop stays free, and the worker is replaced afterwards', async () => {
    const parser = new ConfigParser({ recycleAfterBytes: 1024 * 1024 });
    try {
      const docs = Array.from({ length: 6_000 }, (_, i) => vs(`svc-${i}`)).join('---\n');
      assert.ok(docs.length > 1024 * 1024);
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const started = performance.now();
      const result = await parser.parse('large.yaml', docs);
      const ms = performance.now() - started;
      loop.disable();
      assert.ok(result.ok);
      assert.equal(result.resources.length, 6_000);
      // The parse itself takes seconds here; the loop was never blocked for a fraction of that.
      assert.ok(loop.max / 1e6 < Math.max(200, ms / 4), `event loop blocked ${(loop.max / 1e6).toFixed(0)} ms during a ${ms.toFixed(0)} ms parse`);
      const small = await parser.parse('small.yaml', vs('after'));
      assert.ok(small.ok && small.resources.length === 1, 'a fresh worker takes the next file');
    } finally {
      await parser.close();
    }
  });

  test('a parse that outgrows its heap is an answer about the file, not a crash', async () => {
    const parser = new ConfigParser({ maxHeapMb: 32 });
    try {
      const docs = Array.from({ length: 12_000 }, (_, i) => vs(`svc-${i}`)).join('---\n');
      const result = await parser.parse('huge.yaml', docs);
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.problem, /needed more than 32 MiB; split the file into smaller ones/);
      const next = await parser.parse('small.yaml', vs('after'));
      assert.ok(next.ok, 'the parser recovers for the next file');
    } finally {
      await parser.close();
    }
  });
});
