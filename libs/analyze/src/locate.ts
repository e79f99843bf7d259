// Finds the line of a field inside a resource, from the text of the file it came from. Loaded
// resources keep only the line their document starts on; a finding is more useful at the line
// of the field itself (the subset, the gateway name), as the per-file validation reports them.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { Loaded } from '@skiff/api';

/** The 1-based line of `path` in `resource`; the document's own line when the text is not known. */
export type Locate = (resource: Loaded, path: readonly PropertyKey[]) => number;

interface ParsedFile {
  /** Document contents by the line they start on (what Loaded.source.line records). */
  byLine: Map<number, unknown>;
  lineAt: (offset: number) => number;
}

export function sourceLocator(sources: Readonly<Record<string, string>> | undefined): Locate {
  const parsed = new Map<string, ParsedFile | undefined>();
  const fileOf = (file: string): ParsedFile | undefined => {
    if (parsed.has(file)) return parsed.get(file);
    const text = sources?.[file];
    const result = text === undefined ? undefined : parseFile(text);
    parsed.set(file, result);
    return result;
  };
  return (resource, path) => {
    const file = fileOf(resource.source.file);
    const root = file?.byLine.get(resource.source.line);
    if (!file || root === undefined) return resource.source.line;
    return lineOf(root, path, file.lineAt) ?? resource.source.line;
  };
}

function parseFile(text: string): ParsedFile {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const byLine = new Map<number, unknown>();
  // parseAllDocuments returns an "EmptyStream" (not an array) for a file with no documents.
  for (const doc of Array.isArray(docs) ? docs : []) {
    const contents = doc.contents as YamlNode | null;
    if (contents?.range) byLine.set(lineAt(contents.range[0]), contents);
  }
  return { byLine, lineAt };
}

/** The line of the node at `path` (the key's line for a mapping entry), or of the deepest part that exists. */
function lineOf(root: unknown, path: readonly PropertyKey[], lineAt: (offset: number) => number): number | undefined {
  let node = root;
  let line = isRanged(node) ? lineAt(node.range[0]) : undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (isRanged(pair.key)) line = lineAt(pair.key.range[0]);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (!isRanged(node)) break;
      line = lineAt(node.range[0]);
    } else break;
  }
  return line;
}

function isRanged(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}
