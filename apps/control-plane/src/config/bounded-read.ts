// Reads one config file without trusting it: a regular file only (a symlink to /dev/zero, a FIFO
// or a socket would stream forever or block), at most `maxBytes` (checked before reading, and
// again while reading, since the file may grow in between), and UTF-8 text.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export interface ReadLimits {
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
}

export type BoundedRead = { ok: true; text: string; bytes: number; mtimeMs: number } | { ok: false; gone?: true; problem: string };

const KIND_OF: Array<[string, (s: import('node:fs').Stats) => boolean]> = [
  ['a directory', (s) => s.isDirectory()],
  ['a character device', (s) => s.isCharacterDevice()],
  ['a block device', (s) => s.isBlockDevice()],
  ['a FIFO', (s) => s.isFIFO()],
  ['a socket', (s) => s.isSocket()],
];

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export async function readBounded(path: string, limits: ReadLimits): Promise<BoundedRead> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, holding one of
    // libuv's four file-system threads for good. The type is checked on the open descriptor.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, gone: true, problem: 'the file is gone' };
    return { ok: false, problem: `cannot open the file: ${code ?? String(error)}` };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      const kind = KIND_OF.find(([, is]) => is(stats))?.[0] ?? 'not a regular file';
      return { ok: false, problem: `not a regular file (${kind}); config files must be regular files, so remove it or point the link at one` };
    }
    if (stats.size > limits.maxFileBytes) return { ok: false, problem: tooLarge(stats.size, limits.maxFileBytes) };
    // One byte more than allowed tells us the file grew past the limit after the stat.
    const buffer = Buffer.allocUnsafe(Math.min(stats.size, limits.maxFileBytes) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) break;
    }
    if (filled > limits.maxFileBytes) return { ok: false, problem: tooLarge(filled, limits.maxFileBytes, true) };
    if (filled === buffer.length && filled > stats.size) return { ok: false, problem: 'the file grew while it was read; it is read again once it has stopped changing' };
    return { ok: true, text: buffer.subarray(0, filled).toString('utf8'), bytes: filled, mtimeMs: stats.mtimeMs };
  } finally {
    await handle.close();
  }
}

function tooLarge(size: number, max: number, atLeast = false): string {
  return `the file is ${atLeast ? 'more than ' : ''}${formatBytes(size)}, over the limit of ${formatBytes(max)} per config file; split it, or raise --max-config-file-size`;
}
