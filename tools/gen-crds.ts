// Writes the CustomResourceDefinitions in k8s/base/crds from the zod schemas in libs/api.
//   npm run gen:crds        (node --import tsx tools/gen-crds.ts)
// A test (libs/kube/src/generated.test.ts) fails when the committed files are out of date.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRD_DIR, crdFiles } from '@skiff/kube';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = crdFiles();
mkdirSync(join(root, CRD_DIR), { recursive: true });
// A kind that is no longer generated must not linger as a stale file.
for (const name of readdirSync(join(root, CRD_DIR))) {
  if (!files.some((f) => f.path === `${CRD_DIR}/${name}`)) rmSync(join(root, CRD_DIR, name));
}
for (const file of files) {
  mkdirSync(dirname(join(root, file.path)), { recursive: true });
  writeFileSync(join(root, file.path), file.text);
  console.log(`wrote ${file.path}`);
}
