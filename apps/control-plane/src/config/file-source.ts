// Reads Istio-shaped YAML from a directory and watches it. Changes are debounced (editors write
// in several steps) and applied per file; the callback sees the whole set every time.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Loaded, ValidationIssue } from '@skiff/api';
import { nextFileState, type FileState } from './file-state.js';

export interface ConfigSet {
  resources: Loaded[];
  issues: ValidationIssue[];
  files: Array<{ file: string; resources: number; rejected: boolean }>;
}

const CONFIG_FILE = /\.(ya?ml|json)$/i;

export class FileConfigSource {
  readonly #states = new Map<string, FileState>();
  #watcher: FSWatcher | undefined;
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly onChange: (set: ConfigSet, changedFiles: string[]) => void,
    private readonly debounceMs = 100,
  ) {}

  /** Loads every file once, then watches. */
  async start(): Promise<ConfigSet> {
    const names = await listConfigFiles(this.dir);
    for (const path of names) await this.#read(path);
    this.#watcher = watch(this.dir, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 80, pollInterval: 20 },
    });
    const queue = (path: string) => {
      if (!CONFIG_FILE.test(path)) return;
      this.#pending.add(path);
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.#flush(), this.debounceMs);
    };
    this.#watcher.on('add', queue).on('change', queue).on('unlink', queue);
    await new Promise<void>((resolve) => this.#watcher?.once('ready', () => resolve()));
    return this.current();
  }

  async #flush(): Promise<void> {
    const paths = [...this.#pending];
    this.#pending.clear();
    for (const path of paths) await this.#read(path);
    this.onChange(this.current(), paths.map((p) => relative(this.dir, p)));
  }

  async #read(path: string): Promise<void> {
    const file = relative(process.cwd(), path) || path;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#states.delete(path); // deleted: its resources leave the mesh
        return;
      }
      throw error;
    }
    this.#states.set(path, nextFileState(this.#states.get(path), file, text));
  }

  current(): ConfigSet {
    const states = [...this.#states.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
    return {
      resources: states.flatMap((s) => s.resources),
      issues: states.flatMap((s) => s.issues),
      files: states.map((s) => ({ file: s.file, resources: s.resources.length, rejected: s.rejected })),
    };
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.#watcher?.close();
  }
}

async function listConfigFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    throw new Error(`cannot read config directory "${dir}": ${(error as NodeJS.ErrnoException).code ?? String(error)}; pass --config <dir> with Istio YAML files`);
  }
  return entries
    .filter((e) => e.isFile() && CONFIG_FILE.test(e.name))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}
