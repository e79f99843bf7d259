import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthzRule, CompiledPolicyInput } from '@skiff/api';
import { PolicyCompileError } from './compile-rule.js';
import { compileAuthorization } from './engine.js';
import type { AuthzRequest } from './request.js';

const base: AuthzRequest = {
  principal: 'cluster.local/ns/default/sa/frontend',
  sourceIp: '10.1.2.3',
  method: 'GET',
  path: '/reviews/1',
  host: 'reviews.default.svc.cluster.local:9080',
  port: 9080,
  headers: { 'x-token': 'admin', 'user-agent': 'curl/8.0' },
};
const req = (extra: Partial<AuthzRequest> = {}): AuthzRequest => ({ ...base, ...extra, headers: { ...base.headers, ...extra.headers } });

const policy = (action: CompiledPolicyInput['action'], rules: AuthzRule[] | undefined, name = `${action.toLowerCase()}-policy`, namespace = 'default'): CompiledPolicyInput =>
  rules === undefined ? { name, namespace, action } : { name, namespace, action, rules };
const allow = (...rules: AuthzRule[]) => policy('ALLOW', rules);
const deny = (...rules: AuthzRule[]) => policy('DENY', rules);
const decide = (policies: CompiledPolicyInput[], r: AuthzRequest = req()) => compileAuthorization(policies).evaluate(r);
/** Does a lone ALLOW policy with this one rule let the request through? */
const allows = (rule: AuthzRule, r: AuthzRequest = req()) => decide([allow(rule)], r).allowed;

describe('authorization decision', () => {
  test('no policies: allowed', () => {
    assert.deepEqual(decide([]), { allowed: true, reason: 'allowed: no ALLOW policy applies to this workload' });
  });

  test('an ALLOW policy without rules allows nothing, so the workload denies everything', () => {
    const d = decide([policy('ALLOW', undefined, 'allow-nothing')]);
    assert.equal(d.allowed, false);
    assert.equal(d.reason, 'denied: no rule of the ALLOW policies for this workload matched (default/allow-nothing (no rules: allows nothing))');
    assert.equal(decide([policy('ALLOW', [], 'allow-nothing')]).allowed, false);
  });

  test('an ALLOW policy with an empty rule {} allows everything, and names itself', () => {
    assert.deepEqual(decide([allow({})], req({ principal: undefined, method: 'DELETE' })), {
      allowed: true,
      action: 'ALLOW',
      policy: 'default/allow-policy',
      rule: 0,
      reason: 'allowed by ALLOW policy default/allow-policy rules[0]',
    });
  });

  test('DENY is evaluated first and wins over a matching ALLOW', () => {
    const d = decide([allow({}), deny({ to: [{ paths: ['/admin*'] }] })], req({ path: '/admin/users' }));
    assert.deepEqual(d, { allowed: false, action: 'DENY', policy: 'default/deny-policy', rule: 0, reason: 'denied by DENY policy default/deny-policy rules[0]' });
    assert.equal(decide([allow({}), deny({ to: [{ paths: ['/admin*'] }] })]).allowed, true, 'a DENY that does not match leaves the ALLOW decision');
  });

  test('DENY with an empty rule denies everything; DENY without rules never matches', () => {
    assert.equal(decide([deny({})]).allowed, false);
    assert.deepEqual(decide([policy('DENY', undefined)]), { allowed: true, reason: 'allowed: no ALLOW policy applies to this workload' });
  });

  test('only DENY policies: what they do not deny is allowed', () => {
    const d = decide([deny({ from: [{ namespaces: ['evil'] }] })]);
    assert.equal(d.allowed, true);
    assert.equal(decide([deny({ from: [{ namespaces: ['default'] }] })]).allowed, false);
  });

  test('with several ALLOW policies one matching rule is enough; the first matching rule is reported', () => {
    const d = decide([policy('ALLOW', [{ to: [{ methods: ['POST'] }] }], 'a'), policy('ALLOW', [{ to: [{ methods: ['PUT'] }] }, { to: [{ methods: ['GET'] }] }, {}], 'b')]);
    assert.deepEqual([d.allowed, d.policy, d.rule], [true, 'default/b', 1]);
    const none = decide([policy('ALLOW', [{ to: [{ methods: ['POST'] }] }], 'a'), policy('ALLOW', [{ to: [{ methods: ['PUT'] }] }], 'b')]);
    assert.equal(none.allowed, false);
    assert.match(none.reason, /no rule of the ALLOW policies for this workload matched \(default\/a, default\/b\)/);
  });

  test('CUSTOM policies are ignored', () => {
    assert.equal(decide([policy('CUSTOM', [{}])]).allowed, true);
    assert.equal(decide([policy('CUSTOM', [{}]), allow({ to: [{ methods: ['GET'] }] })]).allowed, true);
    assert.deepEqual(compileAuthorization([policy('CUSTOM', [{}])]).policies, { deny: [], allow: [], audit: [] });
  });

  test('AUDIT never changes the decision but is reported', () => {
    const audit = policy('AUDIT', [{ to: [{ paths: ['/admin*'] }] }], 'audit-admin');
    const alone = decide([audit], req({ path: '/admin' }));
    assert.deepEqual(alone, {
      allowed: true,
      action: 'AUDIT',
      policy: 'default/audit-admin',
      rule: 0,
      audit: { policy: 'default/audit-admin', rule: 0 },
      reason: 'allowed: no ALLOW policy applies to this workload; audited by AUDIT policy default/audit-admin rules[0]',
    });
    const denied = decide([audit, deny({})], req({ path: '/admin' }));
    assert.deepEqual([denied.allowed, denied.action, denied.policy, denied.audit?.policy], [false, 'DENY', 'default/deny-policy', 'default/audit-admin']);
    assert.equal(decide([audit, allow({ to: [{ methods: ['POST'] }] })], req({ path: '/admin' })).allowed, false, 'AUDIT does not count as an ALLOW policy match');
    assert.equal(decide([audit], req({ path: '/x' })).audit, undefined);
  });

  test('engine lists its policies by action in evaluation order', () => {
    const engine = compileAuthorization([allow({}), policy('AUDIT', [{}], 'au', 'istio-system'), deny({}), policy('DENY', [{}], 'second')]);
    assert.deepEqual(engine.policies, { deny: ['default/deny-policy', 'default/second'], allow: ['default/allow-policy'], audit: ['istio-system/au'] });
  });
});

describe('rule structure', () => {
  test('entries of from are ORed, fields of one source ANDed', () => {
    const rule: AuthzRule = { from: [{ namespaces: ['prod'] }, { principals: ['cluster.local/ns/default/sa/frontend'], ipBlocks: ['10.0.0.0/8'] }] };
    assert.equal(allows(rule), true);
    assert.equal(allows(rule, req({ sourceIp: '192.168.0.1' })), false, 'second source: principal matches but ipBlocks does not');
    assert.equal(allows(rule, req({ principal: 'cluster.local/ns/prod/sa/x', sourceIp: '192.168.0.1' })), true, 'first source');
  });
  test('entries of to are ORed, fields of one operation ANDed', () => {
    const rule: AuthzRule = { to: [{ methods: ['GET'], paths: ['/info*'] }, { methods: ['POST'], paths: ['/data'] }] };
    assert.equal(allows(rule, req({ path: '/info/1' })), true);
    assert.equal(allows(rule, req({ method: 'POST', path: '/data' })), true);
    assert.equal(allows(rule, req({ method: 'POST', path: '/info' })), false);
    assert.equal(allows(rule, req({ path: '/data' })), false);
  });
  test('from, to and when are ANDed; every when condition must hold', () => {
    const rule: AuthzRule = {
      from: [{ namespaces: ['default'] }],
      to: [{ methods: ['GET'] }],
      when: [
        { key: 'request.headers[x-token]', values: ['admin'] },
        { key: 'destination.port', values: ['9080'] },
      ],
    };
    assert.equal(allows(rule), true);
    assert.equal(allows(rule, req({ principal: 'cluster.local/ns/other/sa/x' })), false);
    assert.equal(allows(rule, req({ method: 'PUT' })), false);
    assert.equal(allows(rule, req({ headers: { 'x-token': 'guest' } })), false);
    assert.equal(allows(rule, req({ port: 9090 })), false);
  });
});

describe('source fields', () => {
  test('principals: exact, prefix, suffix, presence; absent without mTLS', () => {
    assert.equal(allows({ from: [{ principals: ['cluster.local/ns/default/sa/frontend'] }] }), true);
    assert.equal(allows({ from: [{ principals: ['cluster.local/ns/default/sa/other'] }] }), false);
    assert.equal(allows({ from: [{ principals: ['cluster.local/ns/default/*'] }] }), true);
    assert.equal(allows({ from: [{ principals: ['*/sa/frontend'] }] }), true);
    assert.equal(allows({ from: [{ principals: ['*'] }] }), true);
    assert.equal(allows({ from: [{ principals: ['*'] }] }, req({ principal: undefined })), false, 'plaintext has no principal');
    assert.equal(allows({ from: [{ principals: ['*'] }] }, req({ principal: '' })), false, 'an empty principal is none');
    assert.equal(allows({ from: [{ principals: ['cluster.local/ns/default/sa/frontend'] }] }, req({ principal: 'spiffe://cluster.local/ns/default/sa/frontend' })), true, 'a full SPIFFE ID is read too');
  });
  test('notPrincipals: matches when no value does (including no principal at all)', () => {
    assert.equal(allows({ from: [{ notPrincipals: ['cluster.local/ns/default/sa/frontend'] }] }), false);
    assert.equal(allows({ from: [{ notPrincipals: ['*/sa/evil'] }] }), true);
    assert.equal(allows({ from: [{ notPrincipals: ['*'] }] }), false, 'notPrincipals * = only plaintext');
    assert.equal(allows({ from: [{ notPrincipals: ['*'] }] }, req({ principal: undefined })), true);
  });
  test('principals and notPrincipals together', () => {
    const rule: AuthzRule = { from: [{ principals: ['cluster.local/ns/default/*'], notPrincipals: ['cluster.local/ns/default/sa/frontend'] }] };
    assert.equal(allows(rule), false);
    assert.equal(allows(rule, req({ principal: 'cluster.local/ns/default/sa/ratings' })), true);
  });
  test('requestPrincipals / notRequestPrincipals: "iss/sub", from the request or its claims', () => {
    const jwt = req({ requestPrincipal: 'issuer.example.com/alice' });
    assert.equal(allows({ from: [{ requestPrincipals: ['issuer.example.com/alice'] }] }, jwt), true);
    assert.equal(allows({ from: [{ requestPrincipals: ['issuer.example.com/*'] }] }, jwt), true);
    assert.equal(allows({ from: [{ requestPrincipals: ['*'] }] }), false, 'no JWT');
    assert.equal(allows({ from: [{ requestPrincipals: ['https://accounts.example.com/bob'] }] }, req({ claims: { iss: 'https://accounts.example.com', sub: 'bob' } })), true);
    assert.equal(allows({ from: [{ notRequestPrincipals: ['*'] }] }), true, 'no JWT: nothing to exclude');
    assert.equal(allows({ from: [{ notRequestPrincipals: ['*/alice'] }] }, jwt), false);
  });
  test('namespaces / notNamespaces: from the request, else from the principal', () => {
    assert.equal(allows({ from: [{ namespaces: ['default'] }] }), true, 'derived from the principal');
    assert.equal(allows({ from: [{ namespaces: ['prod'] }] }, req({ namespace: 'prod' })), true);
    assert.equal(allows({ from: [{ namespaces: ['prod*'] }] }, req({ principal: 'cluster.local/ns/prod-eu/sa/x' })), true);
    assert.equal(allows({ from: [{ namespaces: ['default'] }] }, req({ principal: undefined })), false, 'plaintext has no namespace');
    assert.equal(allows({ from: [{ notNamespaces: ['default'] }] }), false);
    assert.equal(allows({ from: [{ notNamespaces: ['default'] }] }, req({ principal: undefined })), true);
  });
  test('ipBlocks / notIpBlocks: single addresses and CIDR ranges, IPv4 and IPv6', () => {
    assert.equal(allows({ from: [{ ipBlocks: ['10.1.0.0/16'] }] }), true);
    assert.equal(allows({ from: [{ ipBlocks: ['10.1.2.3'] }] }), true);
    assert.equal(allows({ from: [{ ipBlocks: ['10.1.2.4', '192.168.0.0/16'] }] }), false);
    assert.equal(allows({ from: [{ ipBlocks: ['10.1.0.0/16'] }] }, req({ sourceIp: '::ffff:10.1.9.9' })), true, 'IPv4-mapped address');
    assert.equal(allows({ from: [{ ipBlocks: ['2001:db8::/32'] }] }, req({ sourceIp: '2001:db8::5' })), true);
    assert.equal(allows({ from: [{ ipBlocks: ['0.0.0.0/0'] }] }, req({ sourceIp: undefined })), false);
    assert.equal(allows({ from: [{ notIpBlocks: ['10.0.0.0/8'] }] }), false);
    assert.equal(allows({ from: [{ notIpBlocks: ['192.168.0.0/16'] }] }), true);
  });
});

describe('operation fields', () => {
  test('hosts: case-insensitive, with or without the port', () => {
    assert.equal(allows({ to: [{ hosts: ['reviews.default.svc.cluster.local'] }] }), true, 'request host has :9080');
    assert.equal(allows({ to: [{ hosts: ['REVIEWS.default.svc.cluster.local'] }] }), true);
    assert.equal(allows({ to: [{ hosts: ['reviews.default.svc.cluster.local:9080'] }] }), true);
    assert.equal(allows({ to: [{ hosts: ['reviews.default.svc.cluster.local:80'] }] }), false);
    assert.equal(allows({ to: [{ hosts: ['*.svc.cluster.local'] }] }), true);
    assert.equal(allows({ to: [{ hosts: ['reviews*'] }] }), true);
    assert.equal(allows({ to: [{ hosts: ['ratings.default.svc.cluster.local'] }] }), false);
    assert.equal(allows({ to: [{ hosts: ['[::1]'] }] }, req({ host: '[::1]:9080' })), true);
  });
  test('notHosts', () => {
    assert.equal(allows({ to: [{ notHosts: ['*.cluster.local'] }] }), false);
    assert.equal(allows({ to: [{ notHosts: ['admin.example.com'] }] }), true);
  });
  test('ports / notPorts: the destination port as a string', () => {
    assert.equal(allows({ to: [{ ports: ['9080'] }] }), true);
    assert.equal(allows({ to: [{ ports: ['80', '443'] }] }), false);
    assert.equal(allows({ to: [{ notPorts: ['9080'] }] }), false);
    assert.equal(allows({ to: [{ notPorts: ['15020'] }] }), true);
  });
  test('methods / notMethods: case-sensitive', () => {
    assert.equal(allows({ to: [{ methods: ['GET', 'HEAD'] }] }), true);
    assert.equal(allows({ to: [{ methods: ['get'] }] }), false);
    assert.equal(allows({ to: [{ notMethods: ['GET'] }] }), false);
    assert.equal(allows({ to: [{ notMethods: ['DELETE'] }] }), true);
  });
  test('paths / notPaths: exact, prefix, suffix, presence; the query never counts', () => {
    assert.equal(allows({ to: [{ paths: ['/reviews/1'] }] }), true);
    assert.equal(allows({ to: [{ paths: ['/reviews'] }] }), false);
    assert.equal(allows({ to: [{ paths: ['/reviews/*'] }] }), true);
    assert.equal(allows({ to: [{ paths: ['*/1'] }] }), true);
    assert.equal(allows({ to: [{ paths: ['*'] }] }), true);
    assert.equal(allows({ to: [{ paths: ['/reviews/1'] }] }, req({ path: '/reviews/1?x=1' })), true, 'query stripped');
    assert.equal(allows({ to: [{ notPaths: ['/reviews*'] }] }), false);
    assert.equal(allows({ to: [{ notPaths: ['/admin*'] }] }), true);
  });
  test('path templates: {*} one segment, {**} one or more', () => {
    assert.equal(allows({ to: [{ paths: ['/reviews/{*}'] }] }), true);
    assert.equal(allows({ to: [{ paths: ['/reviews/{*}'] }] }, req({ path: '/reviews/1/ratings' })), false);
    assert.equal(allows({ to: [{ paths: ['/reviews/{**}'] }] }, req({ path: '/reviews/1/ratings' })), true);
    assert.equal(allows({ to: [{ notPaths: ['/{*}/{*}'] }] }), false);
  });
});

describe('when conditions', () => {
  const when = (key: string, values?: string[], notValues?: string[]): AuthzRule => ({ when: [{ key, ...(values ? { values } : {}), ...(notValues ? { notValues } : {}) }] });

  test('request.headers[...]: the name in any case, any of several values, wildcards', () => {
    assert.equal(allows(when('request.headers[X-Token]', ['admin'])), true);
    assert.equal(allows(when('request.headers[x-token]', ['adm*'])), true);
    assert.equal(allows(when('request.headers[x-token]', ['guest'])), false);
    assert.equal(allows(when('request.headers[User-Agent]', ['Mozilla/*'])), false);
    assert.equal(allows(when('request.headers[x-missing]', ['*'])), false);
    assert.equal(allows(when('request.headers[x-missing]', undefined, ['admin'])), true, 'a missing header matches notValues');
    assert.equal(allows(when('request.headers[x-token]', undefined, ['admin'])), false);
    assert.equal(allows(when('request.headers[x-multi]', ['b']), req({ headers: { 'X-Multi': ['a', 'b'] } })), true, 'a repeated header: any value');
  });
  test('values and notValues together', () => {
    const rule = when('request.headers[x-token]', ['*'], ['guest']);
    assert.equal(allows(rule), true);
    assert.equal(allows(rule, req({ headers: { 'x-token': 'guest' } })), false);
    assert.equal(allows(rule, req({ headers: { 'x-token': undefined } })), false);
  });
  test('source.ip: addresses and CIDR ranges', () => {
    assert.equal(allows(when('source.ip', ['10.1.0.0/16'])), true);
    assert.equal(allows(when('source.ip', ['10.2.0.0/16'])), false);
    assert.equal(allows(when('source.ip', undefined, ['10.1.2.3'])), false);
  });
  test('source.namespace and source.principal', () => {
    assert.equal(allows(when('source.namespace', ['default'])), true);
    assert.equal(allows(when('source.namespace', ['prod'])), false);
    assert.equal(allows(when('source.principal', ['cluster.local/ns/default/sa/frontend'])), true);
    assert.equal(allows(when('source.principal', undefined, ['*'])), false);
  });
  test('request.auth.principal, audiences (a list) and presenter (azp)', () => {
    const jwt = req({ claims: { iss: 'https://idp', sub: 'alice', aud: ['bookinfo', 'reviews'], azp: 'frontend-client' } });
    assert.equal(allows(when('request.auth.principal', ['https://idp/alice']), jwt), true);
    assert.equal(allows(when('request.auth.principal', ['*']), req()), false);
    assert.equal(allows(when('request.auth.audiences', ['reviews']), jwt), true);
    assert.equal(allows(when('request.auth.audiences', ['ratings']), jwt), false);
    assert.equal(allows(when('request.auth.audiences', ['ratings']), req({ audiences: ['ratings'] })), true, 'given audiences win');
    assert.equal(allows(when('request.auth.audiences', ['bookinfo']), req({ claims: { aud: 'bookinfo' } })), true, 'a string aud');
    assert.equal(allows(when('request.auth.presenter', ['frontend-*']), jwt), true);
  });
  test('request.auth.claims: string claims, list claims (any element), nested claims', () => {
    const jwt = req({ claims: { iss: 'https://accounts.google.com', groups: ['dev', 'admin'], realm_access: { roles: ['reader'] }, email_verified: true } });
    assert.equal(allows(when('request.auth.claims[iss]', ['https://accounts.google.com']), jwt), true);
    assert.equal(allows(when('request.auth.claims[groups]', ['admin']), jwt), true);
    assert.equal(allows(when('request.auth.claims[groups]', ['ops']), jwt), false);
    assert.equal(allows(when('request.auth.claims[groups]', undefined, ['admin']), jwt), false);
    assert.equal(allows(when('request.auth.claims[realm_access][roles]', ['reader']), jwt), true);
    assert.equal(allows(when('request.auth.claims[realm_access][missing]', ['*']), jwt), false);
    assert.equal(allows(when('request.auth.claims[email_verified]', ['true']), jwt), false, 'only string and string-list claims match');
    assert.equal(allows(when('request.auth.claims[iss]', ['*']), req()), false, 'no JWT');
  });
  test('destination.port', () => {
    assert.equal(allows(when('destination.port', ['9080'])), true);
    assert.equal(allows(when('destination.port', undefined, ['9080'])), false);
  });
});

describe('what Skiff cannot evaluate fails closed', () => {
  test('an unevaluated source field: the ALLOW rule never matches, the DENY rule ignores it', () => {
    const rule: AuthzRule = { from: [{ principals: ['*'], unevaluated: ['remoteIpBlocks'] }] };
    assert.equal(allows(rule), false);
    assert.equal(decide([deny(rule)]).allowed, false, 'DENY still denies on the principal');
    assert.equal(decide([deny(rule)], req({ principal: undefined })).allowed, true, 'the evaluated part must still match');
  });
  test('an unevaluated when key (connection.sni): same', () => {
    const rule: AuthzRule = { when: [{ key: 'connection.sni', values: ['reviews.example.com'] }] };
    assert.equal(allows(rule), false);
    assert.equal(decide([deny(rule)]).allowed, false);
    assert.equal(decide([policy('AUDIT', [rule])]).audit, undefined, 'AUDIT rules fail closed like ALLOW');
  });
});

describe('compile errors name policy, rule and field', () => {
  test('a key the grammar rejects', () => {
    assert.throws(() => compileAuthorization([allow({}, { when: [{ key: 'request.header[x]', values: ['a'] }] })]), (err: unknown) => {
      assert.ok(err instanceof PolicyCompileError);
      assert.match(err.message, /^AuthorizationPolicy default\/allow-policy rules\[1\]\.when\[0\]\.key: unknown key "request\.header\[x\]"; did you mean "request\.headers\[x\]"\?/);
      return true;
    });
  });
  test('a bad IP block', () => {
    assert.throws(() => compileAuthorization([deny({ from: [{ ipBlocks: ['10.0.0.0/8', 'nope'] }] })]), /AuthorizationPolicy default\/deny-policy rules\[0\]\.from\[0\]\.ipBlocks\[1\]: "nope" is not an IP address or CIDR range/);
  });
});

// Istio's "Authorization for TCP traffic" task, step by step, and its builder testdata
// (pilot/pkg/security/authz/builder/testdata/action-{allow,deny}-HTTP-for-TCP-filter-*.yaml).
describe('authorization of TCP connections', () => {
  const connection = (port: number, principal = 'cluster.local/ns/foo/sa/curl'): AuthzRequest => ({ principal, sourceIp: '10.0.0.9', method: '', path: '', host: '', port, headers: {} });
  const decideTcp = (policies: CompiledPolicyInput[], r: AuthzRequest) => compileAuthorization(policies, { forTcp: true }).evaluate(r);

  test('an ALLOW rule on ports lets those ports through and no other', () => {
    const p = [allow({ to: [{ ports: ['9000', '9001'] }] })];
    assert.equal(decideTcp(p, connection(9000)).allowed, true);
    assert.equal(decideTcp(p, connection(9002)).allowed, false);
  });

  test('an ALLOW rule that names an HTTP-only field never matches a connection', () => {
    for (const rule of [
      { to: [{ methods: ['GET'], ports: ['9000'] }] },
      { from: [{ requestPrincipals: ['*'] }] },
      { to: [{ ports: ['9000'] }], when: [{ key: 'request.headers[x-token]', values: ['admin'] }] },
      { to: [{ paths: ['/'] }] },
      { to: [{ hosts: ['tcp-echo'] }] },
    ] as AuthzRule[]) {
      const d = decideTcp([allow(rule)], connection(9000));
      assert.equal(d.allowed, false, JSON.stringify(rule));
      // The same rule is evaluated as written for HTTP.
      assert.equal(compileAuthorization([allow(rule)]).evaluate(connection(9000)).allowed, false);
    }
    // Other rules of the policy still allow.
    assert.equal(decideTcp([allow({ to: [{ methods: ['GET'] }] }, { from: [{ principals: ['cluster.local/ns/foo/sa/curl'] }] })], connection(9000)).allowed, true);
  });

  test('a DENY rule ignores its HTTP-only fields, so it denies more', () => {
    const p = [deny({ to: [{ methods: ['GET'], ports: ['9000'] }] })];
    const d = decideTcp(p, connection(9000));
    assert.equal(d.allowed, false);
    assert.equal(d.reason, 'denied by DENY policy default/deny-policy rules[0]');
    assert.equal(decideTcp(p, connection(9001)).allowed, true, 'the port still counts');
    // A DENY rule with only HTTP fields denies every connection.
    assert.equal(decideTcp([deny({ from: [{ requestPrincipals: ['x'] }], when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] })], connection(9001)).allowed, false);
  });

  test('principals, namespaces, ipBlocks and destination.port are evaluated on a connection', () => {
    const p = [allow({ from: [{ principals: ['cluster.local/ns/foo/sa/curl'], namespaces: ['foo'], ipBlocks: ['10.0.0.0/24'] }], when: [{ key: 'destination.port', values: ['9000'] }] })];
    assert.equal(decideTcp(p, connection(9000)).allowed, true);
    assert.equal(decideTcp(p, connection(9000, 'cluster.local/ns/bar/sa/curl')).allowed, false);
    assert.equal(decideTcp(p, connection(9001)).allowed, false);
  });
});
