// The small samples' shared command line, through a real sample process (tcp-echo).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../../apps/tcp-echo/src/main.ts', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { env: { ...process.env, PORT: '', ...env }, timeout: 20_000 }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );

test('--help prints the usage and exits 0; a bad port or an unknown flag names the problem, prints the usage and exits 2', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: tcp-echo \[--port 9000\]/);
  const badPort = await run(['--port', '70000']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /tcp-echo: port "70000" is not a port number \(1-65535\)\nusage: tcp-echo/);
  const envPort = await run([], { PORT: 'x' });
  assert.equal(envPort.code, 2, 'PORT is checked like --port');
  const unknown = await run(['--prot', '1']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /tcp-echo: Unknown option '--prot'/);
});
