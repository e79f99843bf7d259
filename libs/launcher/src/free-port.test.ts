import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ephemeralRangeStart, freePort, freePorts, reservePort } from './free-port.js';

test('freePort returns a port that can be bound on 127.0.0.1', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});

test('freePorts returns distinct ports', async () => {
  const ports = await freePorts(8);
  assert.equal(ports.length, 8);
  assert.equal(new Set(ports).size, 8);
});

test('freePorts picks below the OS ephemeral range, where outgoing connections never take a port', async () => {
  const start = ephemeralRangeStart();
  if (start === undefined) return assert.equal(process.platform === 'linux', false, 'Linux exposes ip_local_port_range');
  const ports = await freePorts(40);
  for (const port of ports) assert.ok(port >= 20100 && port < start, `${port} is outside [20100, ${start})`);
});

test('freePorts skips a candidate that is taken', async () => {
  // Hold 200 of the candidates: the picker still finds free ones among the rest.
  const held = await freePorts(200);
  const servers = await Promise.all(held.map((port) => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  })));
  try {
    const ports = await freePorts(20);
    for (const port of ports) assert.equal(held.includes(port), false);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
});

test('ephemeralRangeStart reads the range, and gives up on what it cannot use', () => {
  assert.equal(ephemeralRangeStart(() => '32768\t60999\n'), 32768);
  assert.equal(ephemeralRangeStart(() => '1024 65535'), undefined); // no room below it
  assert.equal(ephemeralRangeStart(() => 'garbage'), undefined);
  assert.equal(ephemeralRangeStart(() => { throw new Error('ENOENT'); }), undefined);
});

test('one allocator: a port handed out once is never handed out again in this process', async () => {
  const first = await freePorts(20);
  const second = await freePorts(20);
  assert.equal(new Set([...first, ...second]).size, 40);
});

test('adjacent: each port comes with the next one free too, and neither is handed out again', async () => {
  const bases = await freePorts(5, { adjacent: true });
  const later = await freePorts(30);
  for (const base of bases) {
    assert.ok(!later.includes(base) && !later.includes(base + 1), `${base} or ${base + 1} was handed out again`);
    for (const port of [base, base + 1]) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
      await new Promise((r) => server.close(r));
    }
  }
});

test('across processes: a port reserved by a live process is not handed out; one left by a dead process is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ports-test-'));
  try {
    // A live process (this test's parent, standing for another test file) holds 40001.
    writeFileSync(join(dir, '40001'), String(process.ppid));
    assert.equal(reservePort(40001, dir), false);
    // A process that has exited left 40002 behind.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, '40002'), dead.stdout);
    assert.equal(reservePort(40002, dir), true);
    assert.match(readFileSync(join(dir, '40002'), 'utf8'), new RegExp(`^${process.pid}( |$)`));
    // Once reserved here, it is not handed out again here either.
    assert.equal(reservePort(40002, dir), false);
    assert.equal(reservePort(40003, dir), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('across processes: ports another live process drew (and has not bound yet) are not drawn again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ports-test-'));
  // Each child draws 300 ports, prints them and stays alive (as a test file between drawing its
  // mesh's ports and starting it), until its stdin closes. Without the reservations, two draws of
  // 300 from ~12,000 candidates share about 7 ports.
  const draw = `import { freePorts } from ${JSON.stringify(new URL('./free-port.ts', import.meta.url).pathname)}; process.stdout.write(JSON.stringify(await freePorts(300)) + '\\n'); process.stdin.resume();`;
  const children: ReturnType<typeof spawn>[] = [];
  const drawn = () =>
    new Promise<number[]>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', draw], { env: { ...process.env, SKIFF_PORT_RESERVATIONS: dir } });
      children.push(child);
      let out = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
      });
      child.on('exit', (code) => reject(new Error(`the drawing process exited (${code}) before printing its ports`)));
    });
  try {
    const first = await drawn();
    const second = await drawn();
    const shared = first.filter((port) => second.includes(port));
    assert.deepEqual(shared, [], 'ports handed to both processes');
  } finally {
    for (const child of children) child.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  }
});
