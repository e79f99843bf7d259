#!/usr/bin/env node
// Scaffolds one workspace project: package.json (@skiff/<name>, exports its TypeScript source),
// project.json (Nx tags and build/test/lint targets), src/index.ts.
//   node tools/new-project.mjs <apps|libs> <name> <type:pure|type:runtime|type:app|type:e2e> [--bundle]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [kind, name, tag, ...rest] = process.argv.slice(2);
if (!kind || !name || !tag || process.argv.includes('--help')) {
  console.log('usage: node tools/new-project.mjs <apps|libs> <name> <type:pure|type:runtime|type:app|type:e2e> [--bundle]');
  process.exit(kind ? 0 : 2);
}
const root = join(kind, name);
mkdirSync(join(root, 'src'), { recursive: true });
const bundle = rest.includes('--bundle');
const pkg = { name: `@skiff/${name}`, version: '0.1.0', private: true, type: 'module', exports: { '.': './src/index.ts' } };
const build = bundle
  ? { executor: 'nx:run-commands', options: { command: `node tools/bundle.mjs ${root}` }, outputs: [`{workspaceRoot}/dist/${root}`] }
  : { executor: 'nx:run-commands', options: { command: `tsc -p ${root}/tsconfig.json --noEmit` } };
const project = {
  name,
  $schema: '../../node_modules/nx/schemas/project-schema.json',
  sourceRoot: `${root}/src`,
  projectType: kind === 'apps' ? 'application' : 'library',
  tags: [tag],
  targets: {
    build,
    test: { executor: 'nx:run-commands', options: { command: `node tools/test.mjs ${root}` } },
    lint: { executor: 'nx:run-commands', options: { command: `eslint ${root}` } },
  },
};
const write = (file, data) => { if (!existsSync(file)) writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data, null, 2) + '\n'); };
write(join(root, 'package.json'), pkg);
write(join(root, 'project.json'), project);
write(join(root, 'tsconfig.json'), { extends: '../../tsconfig.base.json', include: ['src/**/*.ts'] });
write(join(root, 'src/index.ts'), 'export {};\n');
console.log(`created ${root}`);
