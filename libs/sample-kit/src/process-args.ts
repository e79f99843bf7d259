// The command line the small sample processes share (tcp-echo, https-hello, external-standin):
// --port and --host, each also read from PORT and HOST (flags win), one more string flag of
// their own at most, and --help. A bad flag or port prints what is wrong and the usage, and
// exits 2.
import { parseArgs } from 'node:util';

export interface SampleArgs {
  port: number;
  host: string;
  /** The process's own flag, when it has one: the flag's value, else its environment variable's. */
  extra: string | undefined;
}

export function sampleProcessArgs(options: { name: string; usage: string; defaultPort: number; extra?: { flag: string; env: string } }): SampleArgs {
  const { name, usage } = options;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...(options.extra ? { [options.extra.flag]: { type: 'string' as const } } : {}) } }));
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values['help']) {
    console.log(usage);
    process.exit(0);
  }
  const portText = (values['port'] as string | undefined) ?? (process.env['PORT'] || String(options.defaultPort)); // an empty PORT is no PORT
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    console.error(`${name}: port ${JSON.stringify(portText)} is not a port number (1-65535)\n${usage}`);
    process.exit(2);
  }
  const host = (values['host'] as string | undefined) ?? (process.env['HOST'] || '127.0.0.1');
  const extra = options.extra ? ((values[options.extra.flag] as string | undefined) ?? (process.env[options.extra.env] || undefined)) : undefined;
  return { port, host, extra };
}
