// Reads a workshop lab (docs/workshop/NN-*.md) the way the lab walker follows it: its fenced
// blocks in order. ```yaml file=config/x.yaml``` is a file the learner saves, ```sh``` commands
// the learner runs (```sh compose``` the compose-mode form, not run here), and ```text expect```
// (substrings) or ```text expect-regex``` (one regular expression per line) what the last
// command printed.

export type LabBlock =
  | { kind: 'file'; path: string; text: string; line: number }
  | { kind: 'sh'; script: string; compose: boolean; line: number }
  | { kind: 'expect'; lines: string[]; regex: boolean; line: number };

const FENCE = /^(\s*)```(.*)$/;

export function parseLab(markdown: string): LabBlock[] {
  const lines = markdown.split('\n');
  const blocks: LabBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const info = (open[2] ?? '').trim().split(/\s+/);
    const body: string[] = [];
    const start = i + 1;
    for (i++; i < lines.length && !FENCE.test(lines[i] ?? ''); i++) body.push((lines[i] ?? '').slice(Math.min(indent, /^\s*/.exec(lines[i] ?? '')?.[0].length ?? 0)));
    if (i >= lines.length) throw new Error(`line ${start}: a fenced block is never closed`);
    const text = body.join('\n') + '\n';
    const [language, ...attributes] = info;
    const file = attributes.find((a) => a.startsWith('file='))?.slice('file='.length);
    if (language === 'yaml' && file) blocks.push({ kind: 'file', path: file, text, line: start });
    else if (language === 'sh') blocks.push({ kind: 'sh', script: text, compose: attributes.includes('compose'), line: start });
    else if (language === 'text' && (attributes.includes('expect') || attributes.includes('expect-regex'))) {
      blocks.push({ kind: 'expect', lines: body.map((l) => l.trim()).filter(Boolean), regex: attributes.includes('expect-regex'), line: start });
    }
  }
  return blocks;
}

/** The expected lines the output does not show, each with why. */
export function unmetExpectations(block: Extract<LabBlock, { kind: 'expect' }>, output: string): string[] {
  const missing: string[] = [];
  for (const line of block.lines) {
    const met = block.regex ? new RegExp(line, 'm').test(output) : output.includes(line);
    if (!met) missing.push(`${block.regex ? '/' + line + '/m' : JSON.stringify(line)} not in the output`);
  }
  return missing;
}
