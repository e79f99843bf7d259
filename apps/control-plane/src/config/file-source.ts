// Reads Istio-shaped YAML from a directory and watches it, without trusting what is in it:
// - each file is checked before it is read (a regular file, at most --max-config-file-size) and
//   the directory as a whole is held to --max-config-dir-size;
// - YAML is parsed on a worker thread (config-parser.ts), so discovery and the monitoring port
//   keep answering during a large parse;
// - a file is applied only once it has stopped changing for the settle time (a file written in
//   two chunks 300 ms apart was once applied half-written);
// - a refused, broken or emptied file keeps its last good version in force (file-state.ts), and
//   a resource two files define stays with the file that defined it first (config-set.ts).
// The callback sees the whole set after every change.
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '@skiff/telemetry';
import { formatBytes, readBounded } from './bounded-read.js';
import { ConfigParser } from './config-parser.js';
import { assembleConfigSet, type ConfigSet, type SourceState } from './config-set.js';
import { nextFileState, refusedFileState, type FileState } from './file-state.js';

export type { ConfigSet } from './config-set.js';

export interface FileSourceLimits {
  /** Largest config file read, in bytes (--max-config-file-size). */
  maxFileBytes: number;
  /** Largest total of the files in force (--max-config-dir-size). */
  maxDirBytes: number;
  /** A changed file is read once it has had no change for this long (--config-settle). */
  settleMs: number;
}

export const DEFAULT_FILE_LIMITS: FileSourceLimits = { maxFileBytes: 4 * 1024 * 1024, maxDirBytes: 32 * 1024 * 1024, settleMs: 500 };

const CONFIG_FILE = /\.(ya?ml|json)$/i;

interface Tracked extends FileState {
  seq: number;
}

export class FileConfigSource {
  readonly #states = new Map<string, Tracked>();
  readonly #settling = new Map<string, NodeJS.Timeout>();
  readonly #parser: ConfigParser;
  readonly #limits: FileSourceLimits;
  #seq = 0;
  #watcher: FSWatcher | undefined;
  #work: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly dir: string,
    private readonly onChange: (set: ConfigSet, changedFiles: string[]) => void,
    options: { limits?: Partial<FileSourceLimits>; parser?: ConfigParser; logger?: Logger } = {},
  ) {
    this.#limits = { ...DEFAULT_FILE_LIMITS, ...options.limits };
    this.#parser = options.parser ?? new ConfigParser();
  }

  get limits(): FileSourceLimits {
    return this.#limits;
  }

  /** Loads every file once, then watches. */
  async start(): Promise<ConfigSet> {
    const unsettled: string[] = [];
    for (const path of await listConfigFiles(this.dir)) if ((await this.#load(path)) === 'unsettled') unsettled.push(path);
    for (const path of unsettled) this.#settle(path);
    this.#watcher = watch(this.dir, {
      ignoreInitial: true,
      // Kubernetes ConfigMap volumes keep the real files under "..data"; the links beside them are what counts.
      ignored: (path: string) => relative(this.dir, path).split(sep).some((part) => part.startsWith('..')),
    });
    const queue = (path: string) => {
      if (CONFIG_FILE.test(path)) this.#settle(path);
    };
    this.#watcher.on('add', queue).on('change', queue).on('unlink', queue);
    await new Promise<void>((resolve) => this.#watcher?.once('ready', () => resolve()));
    return this.current();
  }

  /** (Re)starts the file's settle timer: it is read once no change has come for settleMs. */
  #settle(path: string): void {
    clearTimeout(this.#settling.get(path));
    this.#settling.set(
      path,
      setTimeout(() => {
        this.#settling.delete(path);
        this.#work = this.#work.then(() => this.#apply(path));
      }, this.#limits.settleMs),
    );
  }

  async #apply(path: string): Promise<void> {
    if (this.#stopped) return;
    const changed = await this.#load(path);
    if (changed === 'unsettled') return this.#settle(path);
    if (!this.#stopped) this.onChange(this.current(), [relative(this.dir, path)]);
  }

  /** Reads, checks and parses one file into its state; 'unsettled' when it changed while read. */
  async #load(path: string): Promise<'done' | 'unsettled'> {
    const file = relative(process.cwd(), path) || path;
    const previous = this.#states.get(path);
    const read = await readBounded(path, { maxFileBytes: this.#limits.maxFileBytes });
    if (!read.ok) {
      if (read.gone) {
        this.#states.delete(path); // deleted: its resources leave the mesh
        return 'done';
      }
      this.#track(path, refusedFileState(previous, file, read.problem));
      return 'done';
    }
    const after = await stat(path).catch(() => undefined);
    if (after && (after.size !== read.bytes || after.mtimeMs !== read.mtimeMs)) return 'unsettled';
    const others = [...this.#states].reduce((sum, [p, s]) => (p === path ? sum : sum + s.bytes), 0);
    if (others + read.bytes > this.#limits.maxDirBytes) {
      const problem = `with this file the config directory would hold ${formatBytes(others + read.bytes)}, over the limit of ${formatBytes(this.#limits.maxDirBytes)}; remove files, or raise --max-config-dir-size`;
      this.#track(path, refusedFileState(previous, file, problem));
      return 'done';
    }
    const parsed = await this.#parser.parse(file, read.text);
    this.#track(path, parsed.ok ? nextFileState(previous, file, parsed, read.bytes) : refusedFileState(previous, file, parsed.problem));
    return 'done';
  }

  #track(path: string, state: FileState): void {
    const seq = this.#states.get(path)?.seq ?? ++this.#seq;
    this.#states.set(path, { ...state, seq });
  }

  current(): ConfigSet {
    return assembleConfigSet([...this.#states.values()] as SourceState[]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#settling.values()) clearTimeout(timer);
    await this.#watcher?.close();
    await this.#work;
    await this.#parser.close();
  }
}

/** Every entry with a config file's name, of whatever type, so that a FIFO or a device is reported rather than skipped. */
async function listConfigFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    throw new Error(`cannot read config directory "${dir}": ${(error as NodeJS.ErrnoException).code ?? String(error)}; pass --config <dir> with Istio YAML files`);
  }
  return entries
    .filter((e) => !e.isDirectory() && CONFIG_FILE.test(e.name))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .filter((path) => !relative(dir, path).split(sep).some((part) => part.startsWith('..')))
    .sort();
}
