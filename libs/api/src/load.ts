// Reads a config file of one or more YAML documents into validated mesh resources, with every
// problem pointing at the file and line of the offending field.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { Loaded, ValidationIssue } from './resources.js';
import type { LoadedWorkload } from './schemas/workload-entry.js';
import { validateResource } from './validate.js';

/** What became of one document of the file. */
export interface DocumentResult {
  /** 1-based position of the document in the file (empty documents count too). */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  /** How issues name it: "VirtualService default/reviews" or "(document 2)". */
  label: string;
  /** The validated resource; absent when the document had errors or is not a mesh resource. */
  resource?: Loaded;
  /** True for documents of other kinds (Service, Deployment, ...), skipped with a warning. */
  ignored: boolean;
  /** A valid WorkloadEntry or WorkloadGroup, for `skiff up`. */
  workload?: LoadedWorkload;
  issues: ValidationIssue[];
}

export interface ParsedConfigFile {
  /** Valid mesh resources, in file order. Documents with errors are left out. */
  resources: Loaded[];
  /** Every issue of the file, in line order. */
  issues: ValidationIssue[];
  /** One entry per non-empty document, so a caller may accept documents one by one. */
  documents: DocumentResult[];
  /** Valid WorkloadEntries and WorkloadGroups, in file order (the control plane does not read them). */
  workloads: LoadedWorkload[];
}

/** The control plane rejects a whole file when this is true, and keeps its last good config. */
export function fileHasErrors(issues: readonly ValidationIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

export function parseConfigFile(file: string, text: string): ParsedConfigFile {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const documents: DocumentResult[] = [];

  // parseAllDocuments returns an "EmptyStream" (not an array) for a file with no documents.
  (Array.isArray(docs) ? docs : []).forEach((doc, i) => {
    const index = i + 1;
    const contents = doc.contents as YamlNode | null;
    const line = contents?.range ? lineAt(contents.range[0]) : lineAt(doc.range[0]);
    const yamlIssues = [...doc.errors.map((e) => ({ e, severity: 'error' as const })), ...doc.warnings.map((e) => ({ e, severity: 'warning' as const }))].map(
      ({ e, severity }): ValidationIssue => ({
        severity,
        file,
        line: e.linePos?.[0].line ?? lineAt(e.pos[0]),
        resource: `(document ${index})`,
        field: '',
        message: `YAML ${severity === 'error' ? 'syntax error' : 'warning'}: ${firstLine(e.message)}`,
      }),
    );
    if (doc.errors.length > 0) {
      documents.push({ index, line, label: `(document ${index})`, ignored: false, issues: yamlIssues });
      return;
    }
    if (contents === null || (isScalar(contents) && contents.value === null)) return; // empty document

    let value: unknown;
    try {
      value = doc.toJS(); // throws on alias abuse ("billion laughs"), which must not take the control plane down
    } catch (err) {
      const message = `YAML error: ${err instanceof Error ? err.message : String(err)}`;
      documents.push({ index, line, label: `(document ${index})`, ignored: false, issues: [...yamlIssues, { severity: 'error', file, line, resource: `(document ${index})`, field: '', message }] });
      return;
    }
    const result = validateResource(value, { file, line }, { documentIndex: index, locate: (path) => locate(doc, path, lineAt) });
    documents.push({ index, line, label: result.label, resource: result.resource, ignored: result.ignored, issues: [...yamlIssues, ...result.issues], ...(result.workload ? { workload: result.workload } : {}) });
  });

  rejectDuplicates(documents);
  const issues = documents.flatMap((d) => d.issues).sort((a, b) => a.line - b.line);
  const resources = documents.flatMap((d) => (d.resource ? [d.resource] : []));
  const workloads = documents.flatMap((d) => (d.workload ? [d.workload] : []));
  return { resources, issues, documents, workloads };
}

/** yaml's pretty messages repeat the position and quote the source; the issue has the line already. */
function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The 1-based line of the YAML node at `path` (the key's line for a mapping entry). When the path
 * does not exist in full (a missing required field), the deepest node that does exist.
 */
function locate(doc: Document, path: readonly PropertyKey[], lineAt: (offset: number) => number): number | undefined {
  let node: unknown = doc.contents;
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

/** Two documents defining the same resource is a mistake: the second would silently win. */
function rejectDuplicates(documents: DocumentResult[]): void {
  const seen = new Map<string, DocumentResult>();
  for (const d of documents) {
    const defined = d.resource ?? d.workload;
    if (!defined) continue;
    const first = seen.get(d.label);
    if (!first) {
      seen.set(d.label, d);
      continue;
    }
    d.issues.push({
      severity: 'error',
      file: defined.source.file,
      line: d.line,
      resource: d.label,
      field: 'metadata.name',
      message: `${d.label} is defined twice in this file (first at line ${first.line}); rename or remove one`,
    });
    delete d.resource;
    delete d.workload;
  }
}
