// CPU time and peak memory of a process, from Linux's /proc (what `ps` and `time` read).
import { readFileSync } from 'node:fs';
import { procStatFields } from '@skiff/launcher';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = procStatFields(pid); // utime and stime are fields 14 and 15
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Peak resident set size (VmHWM) and current RSS, in MiB; current split into anonymous memory and file pages. */
export function memoryMiB(pid: number): { peak: number; current: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kib('VmHWM') / 1024, current: kib('VmRSS') / 1024, anon: kib('RssAnon') / 1024, file: kib('RssFile') / 1024 };
}

/**
 * RSS of an idle process once it has settled: V8's memory reducer gives back what start-up grew
 * some 10 to 40 s after allocation stops (seen: a sidecar at 85 MiB 12 s after start, 68 MiB at
 * 30 s). Sampled every 2 s until three samples in a row agree within 0.5 MiB after a fall, or
 * `maxMs` passes.
 */
export async function settledMemoryMiB(pid: number, maxMs = 60_000): Promise<ReturnType<typeof memoryMiB> & { afterMs: number }> {
  const started = Date.now();
  const samples = [memoryMiB(pid)];
  let fell = false;
  while (Date.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const sample = memoryMiB(pid);
    fell ||= sample.current < (samples[0] as { current: number }).current - 4;
    samples.push(sample);
    const last = samples.slice(-3).map((m) => m.current);
    if (fell && last.length === 3 && Math.max(...last) - Math.min(...last) < 0.5) break;
  }
  return { ...(samples.at(-1) as ReturnType<typeof memoryMiB>), afterMs: Date.now() - started };
}
