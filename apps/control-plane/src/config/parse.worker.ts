// The config parser's thread: YAML parsing and validation run here, off the control plane's
// event loop, so discovery pushes and the monitoring port keep answering while a large file is
// parsed, and the memory a parse needed is returned when the thread is recycled.
import { parentPort } from 'node:worker_threads';
import { fileHasErrors, parseConfigFile } from '@skiff/api';
import type { ParseReply, ParseRequest } from './config-parser.js';

parentPort?.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    const parsed = parseConfigFile(request.file, request.text);
    // A file with an error is refused whole: its valid documents need not cross back to the
    // control plane's thread (17,000 of them took that thread a noticeable while to receive).
    reply = { id: request.id, ok: true, resources: fileHasErrors(parsed.issues) ? [] : parsed.resources, issues: parsed.issues, workloads: parsed.workloads.length };
  } catch (error) {
    reply = { id: request.id, ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
