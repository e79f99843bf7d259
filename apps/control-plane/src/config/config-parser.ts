// Runs parseConfigFile in a worker thread (parse.worker.ts). One thread is kept for the small
// edits of every day (starting one costs ~0.7 s under tsx); it is replaced after a large input so
// the memory that parse grew is given back, and whenever it dies. A parse that runs out of its
// heap or its time is an answer about that file (rejected, and why), never a crash of the
// control plane: a valid 20 MB file once took the control plane's RSS to 3.4 GB and kept it.
import { Worker } from 'node:worker_threads';
import type { Loaded, ValidationIssue } from '@skiff/api';
import { formatBytes } from './bounded-read.js';

export interface ParseRequest {
  id: number;
  file: string;
  text: string;
}

export type ParseReply = { id: number; ok: true; resources: Loaded[]; issues: ValidationIssue[]; workloads: number } | { id: number; ok: false; problem: string };

/** `workloads`: the WorkloadEntries and WorkloadGroups it declares, which `skiff up` reads and the control plane does not. */
export type ParseResult = { ok: true; resources: Loaded[]; issues: ValidationIssue[]; workloads: number } | { ok: false; problem: string };

export interface ConfigParserOptions {
  /** The thread's heap; a parse that needs more is refused (default 1024 MiB). */
  maxHeapMb?: number;
  /** A parse that takes longer is refused (default 30 s). */
  timeoutMs?: number;
  /** After an input at least this large the thread is replaced, to return its memory (default 1 MiB). */
  recycleAfterBytes?: number;
}

export class ConfigParser {
  #worker: Worker | undefined;
  #nextId = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(private readonly options: ConfigParserOptions = {}) {}

  /** Parses one file's text; calls are served one at a time, in order. */
  parse(file: string, text: string): Promise<ParseResult> {
    const run = this.#queue.then(() => this.#parseNow(file, text));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #parseNow(file: string, text: string): Promise<ParseResult> {
    if (this.#closed) return { ok: false, problem: 'the control plane is stopping' };
    const worker = this.#ensureWorker();
    const id = ++this.#nextId;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const bytes = Buffer.byteLength(text);
    const result = await new Promise<ParseResult>((resolve) => {
      const done = (r: ParseResult) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(r);
      };
      const onMessage = (reply: ParseReply) => {
        if (reply.id !== id) return;
        done(reply.ok ? { ok: true, resources: reply.resources, issues: reply.issues, workloads: reply.workloads } : { ok: false, problem: `cannot parse the file: ${reply.problem}` });
      };
      const onError = (error: Error & { code?: string }) => {
        this.#drop(worker);
        const heap = this.options.maxHeapMb ?? 1024;
        done({ ok: false, problem: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `parsing ${formatBytes(bytes)} of YAML needed more than ${heap} MiB; split the file into smaller ones` : `the parser failed: ${error.message}` });
      };
      const onExit = (code: number) => {
        this.#drop(worker);
        done({ ok: false, problem: `the parser stopped (exit code ${code}) while reading this file` });
      };
      const timer = setTimeout(() => {
        this.#drop(worker);
        done({ ok: false, problem: `parsing took longer than ${Math.round(timeoutMs / 1000)} s; split the file into smaller ones` });
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ id, file, text } satisfies ParseRequest);
    });
    if (bytes >= (this.options.recycleAfterBytes ?? 1024 * 1024)) this.#drop(worker);
    return result;
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const resourceLimits = { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 1024 };
    const worker = startWorker(resourceLimits);
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #drop(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined;
    void worker.terminate();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }
}

/**
 * From source (tsx) the worker is parse.worker.ts, loaded through tsx's loader, which Node 20
 * does not pass on to workers; from the esbuild bundle it is parse.worker.js beside main.js.
 */
function startWorker(resourceLimits: { maxOldGenerationSizeMb: number }): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const entry = new URL('./parse.worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, { eval: true, resourceLimits });
  }
  return new Worker(new URL('./parse.worker.js', import.meta.url), { resourceLimits });
}
