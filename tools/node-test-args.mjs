// The `node --test` command line both tools/test.mjs and tools/test-repeat.mjs run: TypeScript
// through tsx, test files' own text on stderr (tools/test-child-stdout.mjs), the spec reporter on
// stdout, and the counts reporter (tools/test-counts-reporter.mjs)
// into `countsFile`, so a run's totals and failures can be read back.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `nodeFlags` go before --test (e.g. --random-seed); `testFlags` after the reporters. */
export function nodeTestArgs({ countsFile, files, nodeFlags = [], testFlags = [] }) {
  return [
    ...nodeFlags,
    '--import',
    'tsx',
    '--import',
    join(root, 'tools/test-child-stdout.mjs'),
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'tools/test-counts-reporter.mjs')}`,
    `--test-reporter-destination=${countsFile}`,
    // Per test file as well as per test: the compose file builds images and brings two meshes
    // up and down on a real Docker engine, 5 to 8 minutes on a busy 2-core CI machine.
    '--test-timeout=900000',
    ...testFlags,
    ...files,
  ];
}
