// Reads a workshop lab (docs/workshop/NN-*.md) the way the lab walker follows it: its fenced
// blocks in order. ```yaml file=config/x.yaml``` is a file the learner saves, ```sh``` commands
// the learner runs, and ```text expect``` (substrings) or ```text expect-regex``` (one regular
// expression per line) what the last command printed. A ```sh compose``` block is the compose
// form of the ```sh``` block before it (same expected output); ```sh local``` runs in local
// mode only (the text says what to do in compose).

export type LabBlock =
  | { kind: 'file'; path: string; text: string; line: number }
  | { kind: 'sh'; script: string; compose: boolean; localOnly: boolean; line: number }
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
    else if (language === 'sh') blocks.push({ kind: 'sh', script: text, compose: attributes.includes('compose'), localOnly: attributes.includes('local'), line: start });
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

export type LabMode = 'local' | 'compose';

/** What a walker does, in order: save a file, run a command, or check the last command's output. */
export type LabAction = { kind: 'file'; path: string; text: string; line: number } | { kind: 'run'; script: string; line: number } | { kind: 'expect'; block: Extract<LabBlock, { kind: 'expect' }> };

/**
 * The lab as one mode follows it: a ```sh``` block with a ```sh compose``` form after it (its
 * expected output in between) runs as that form in compose mode; local-only blocks and their
 * expectations drop out of compose mode, compose forms out of local mode.
 */
export function labActions(blocks: readonly LabBlock[], mode: LabMode): LabAction[] {
  const actions: LabAction[] = [];
  let skipping = false;
  for (const [i, block] of blocks.entries()) {
    if (block.kind === 'file') {
      skipping = false;
      actions.push(block);
    } else if (block.kind === 'expect') {
      if (!skipping) actions.push({ kind: 'expect', block });
    } else if (block.compose) {
      skipping = true; // its expectations were checked against it already (compose) or do not apply (local)
    } else {
      let next = i + 1;
      while (blocks[next]?.kind === 'expect') next++;
      const alternative = blocks[next];
      const composeForm = alternative?.kind === 'sh' && alternative.compose ? alternative : undefined;
      skipping = mode === 'compose' && block.localOnly;
      if (!skipping) actions.push({ kind: 'run', script: mode === 'compose' && composeForm ? composeForm.script : block.script, line: mode === 'compose' && composeForm ? composeForm.line : block.line });
    }
  }
  return actions;
}
