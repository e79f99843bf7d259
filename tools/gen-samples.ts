// Writes the sample workloads with their sidecars injected (k8s/samples/<app>.yaml, from
// k8s/samples/uninjected/<app>.yaml, as `skiff inject` does) and k8s/samples/mesh-config.yaml
// (config/*.yaml as custom resources).
//   npm run gen:samples     (node --import tsx tools/gen-samples.ts)
// A test (libs/kube/src/generated.test.ts) fails when the committed files are out of date.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleFiles, UNINJECTED_DIR } from '@skiff/kube';

const root = fileURLToPath(new URL('..', import.meta.url));
const yamlFiles = (dir: string) => Object.fromEntries(readdirSync(join(root, dir)).filter((n) => n.endsWith('.yaml')).map((n) => [n, readFileSync(join(root, dir, n), 'utf8')]));
for (const file of sampleFiles({ uninjected: yamlFiles(UNINJECTED_DIR), config: yamlFiles('config') })) {
  writeFileSync(join(root, file.path), file.text);
  console.log(`wrote ${file.path}`);
}
