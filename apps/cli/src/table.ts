// Aligned plain-text tables for `skiff proxy-config` and `skiff simulate`, in the style of
// istioctl's output: a header row, columns padded to their widest cell, no borders, so the
// output stays easy to grep and to paste into an issue.

export interface TableOptions {
  /** Put before every line, e.g. two spaces to nest a table under a heading. */
  indent?: string;
  /** Spaces between columns (default 3, as istioctl's tabwriter leaves about that much). */
  gap?: number;
}

/** Characters a terminal shows; counts code points so "✔" or "é" take one column, not two. */
function width(text: string): number {
  return [...text].length;
}

export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string {
  const indent = options.indent ?? '';
  const gap = ' '.repeat(options.gap ?? 3);
  const columns = Math.max(header.length, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(width(header[i] ?? ''), ...rows.map((r) => width(r[i] ?? ''))));
  const pad = (text: string, w: number) => text + ' '.repeat(w - width(text));
  const line = (cells: readonly string[]) => (indent + widths.map((w, i) => pad(cells[i] ?? '', w)).join(gap)).trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
