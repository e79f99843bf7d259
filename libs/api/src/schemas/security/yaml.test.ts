import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigFile } from '../../load.js';

// Istio's reference examples as a user would write them, to check YAML specifics (integer map
// keys for ports) and that issues point at the right line.
const YAML = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: finance
  namespace: foo
spec:
  selector:
    matchLabels:
      app: finance
  mtls:
    mode: STRICT
  portLevelMtls:
    8080:
      mode: DISABLE
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/curl"]
    to:
    - operation:
        methods: ["GET"]
        paths: ["/info*"]
    when:
    - key: request.auth.claims[iss]
      values: ["https://accounts.google.com"]
    - key: source.ip
      values: ["10.0.0.300"]
`;

describe('security resources from YAML', () => {
  test('integer port keys are read; issues point at the offending line', () => {
    const parsed = parseConfigFile('security.yaml', YAML);
    const pa = parsed.documents[0]?.resource;
    assert.equal(pa?.kind, 'PeerAuthentication');
    assert.deepEqual(pa?.kind === 'PeerAuthentication' ? pa.spec.portLevelMtls : undefined, { '8080': { mode: 'DISABLE' } });
    assert.deepEqual(
      parsed.issues.map((i) => `${i.line} ${i.severity} ${i.resource} ${i.field}: ${i.message}`),
      ['35 error AuthorizationPolicy foo/httpbin spec.rules[0].when[1].values[0]: bad IP address "10.0.0.300"'],
    );
  });
});
