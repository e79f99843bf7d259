// Formats child output as "name │ line", padded so the bars line up, with the name coloured
// when a human is watching a terminal.

const PALETTE = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94]; // cyan, magenta, yellow, green, blue + bright

/** Colour only for a terminal, and never when the user asked for none (https://no-color.org). */
export function shouldUseColor(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY === true && !env['NO_COLOR'];
}

/** The same name gets the same colour on every run and after a restart. */
export function colorFor(name: string): number {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? 36;
}

export function formatPrefix(name: string, width: number, color: boolean): string {
  const label = `${name.padEnd(width)} │ `;
  return color ? `\x1b[${colorFor(name)}m${label}\x1b[0m` : label;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Indented lines for error messages and exit reports. */
export function indentLines(lines: readonly string[]): string {
  return lines.length === 0 ? '  (it printed nothing)' : lines.map((line) => `  │ ${line}`).join('\n');
}
