// `skiff`: the command-line entry. Each command lives in commands/<name>.ts.
import { fileURLToPath } from 'node:url';
import { up } from './commands/up.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const HELP = `usage: skiff <command> [options]

Commands:
  up          start the local mesh (control plane, gateway, sample apps with sidecars)

Run "skiff <command> --help" for a command's options.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  up: (argv) => up(argv, root),
};

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(HELP);
  process.exit(name ? 0 : 2);
}
const command = commands[name];
if (!command) {
  console.error(`skiff: unknown command "${name}"\n\n${HELP}`);
  process.exit(2);
}
try {
  process.exitCode = await command(rest);
} catch (error) {
  console.error(`skiff ${name}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
