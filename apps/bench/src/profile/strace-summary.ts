// Reads `strace -c` output: calls per syscall, to count the syscalls a proxy makes per request.

export interface SyscallCount {
  name: string;
  calls: number;
  errors: number;
}

/** The table `strace -c` prints: "% time  seconds  usecs/call  calls  errors  syscall". */
export function parseStraceSummary(text: string): SyscallCount[] {
  const rows: SyscallCount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !/^\d+\.\d+$/.test(fields[0] ?? '')) continue;
    const name = fields[fields.length - 1] as string;
    if (name === 'total') continue;
    // The errors column is empty when a syscall never failed.
    const numbers = fields.slice(3, -1).map(Number);
    rows.push({ name, calls: numbers[0] ?? 0, errors: numbers[1] ?? 0 });
  }
  return rows.sort((a, b) => b.calls - a.calls);
}

/** Calls per request of each syscall made at least `atLeast` times per request. */
export function perRequest(rows: SyscallCount[], requests: number, atLeast = 0.01): { name: string; perRequest: number }[] {
  if (requests <= 0) throw new Error('perRequest: no requests were counted');
  return rows.map((r) => ({ name: r.name, perRequest: r.calls / requests })).filter((r) => r.perRequest >= atLeast);
}
