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
 * The lab as one mode follows it. A ```sh``` block, an optional ```sh compose``` form of it, and
 * the expected outputs after either are one step: each mode runs its own form (compose falls back
 * to the ```sh``` block) and checks every expectation of the step, wherever it stands. Local-only
 * steps drop out of compose mode. A compose form with no ```sh``` block before it is an error.
 */
export function labActions(blocks: readonly LabBlock[], mode: LabMode): LabAction[] {
  const actions: LabAction[] = [];
  const expectsFrom = (start: number): Array<Extract<LabBlock, { kind: 'expect' }>> => {
    const found: Array<Extract<LabBlock, { kind: 'expect' }>> = [];
    for (let j = start; blocks[j]?.kind === 'expect'; j++) found.push(blocks[j] as Extract<LabBlock, { kind: 'expect' }>);
    return found;
  };
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i] as LabBlock;
    if (block.kind === 'file') {
      actions.push(block);
      continue;
    }
    if (block.kind === 'expect') {
      actions.push({ kind: 'expect', block }); // no command before it: the walker reports that
      continue;
    }
    if (block.compose) throw new Error(`line ${block.line}: a compose form with no \`\`\`sh\`\`\` block before it`);
    const before = expectsFrom(i + 1);
    i += before.length;
    const next = blocks[i + 1];
    const composeForm = next?.kind === 'sh' && next.compose ? next : undefined;
    const after = composeForm ? expectsFrom(i + 2) : [];
    if (composeForm) i += 1 + after.length;
    if (mode === 'compose' && block.localOnly) continue;
    const run = mode === 'compose' && composeForm ? composeForm : block;
    actions.push({ kind: 'run', script: run.script, line: run.line });
    for (const expect of [...before, ...after]) actions.push({ kind: 'expect', block: expect });
  }
  return actions;
}
