// AuthorizationPolicy (security.istio.io), with the checks Istio's own validation makes: a source
// or operation must set something, `from`/`to` must not be empty lists, every `when` needs
// values or notValues and a key from the conditions reference, IPs, ports and path templates
// must parse, provider goes with CUSTOM only, and DENY without rules is a mistake.
import { z } from 'zod';
import { AUTHORIZATION_ACTIONS } from '../../security-resources.js';
import { conditionValueProblem, parseConditionKey } from '../../security/condition-key.js';
import { ipBlockProblem } from '../../security/ip.js';
import { pathTemplateProblem } from '../../security/path-template.js';
import { always, isRecord, istioObject } from '../common.js';
import { checkOneSelectorKind, nonEmptyStrings, PolicyTargetReferenceSchema, securityResourceSchema, WorkloadSelectorSchema } from './common.js';

function checkedStrings(problem: (s: string) => string | undefined) {
  return z.array(
    z
      .string()
      .min(1)
      .check(
        z.superRefine((s: string, ctx) => {
          const p = s === '' ? undefined : problem(s);
          if (p) ctx.addIssue({ code: 'custom', message: p });
        }),
      ),
  );
}

const ipBlocks = () => checkedStrings(ipBlockProblem);
const ports = () =>
  checkedStrings((s) => (/^(0|[1-9][0-9]{0,4})$/.test(s) && Number(s) <= 65535 ? undefined : `bad port ${JSON.stringify(s)}: use a number from 0 to 65535, as a string`));
const paths = () => checkedStrings(pathTemplateProblem);
const serviceAccounts = () =>
  checkedStrings((s) => {
    if (s.includes('*')) return 'a wildcard is not allowed in serviceAccounts';
    const parts = s.split('/');
    return parts.length <= 2 && parts.every((p) => p !== '') ? undefined : `expected "serviceAccount" or "namespace/serviceAccount", got ${JSON.stringify(s)}`;
  }).max(16);

export const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
  'serviceAccounts',
  'notServiceAccounts',
] as const;

export const AuthorizationSourceSchema = istioObject({
  principals: nonEmptyStrings().optional(),
  notPrincipals: nonEmptyStrings().optional(),
  requestPrincipals: nonEmptyStrings().optional(),
  notRequestPrincipals: nonEmptyStrings().optional(),
  namespaces: nonEmptyStrings().optional(),
  notNamespaces: nonEmptyStrings().optional(),
  ipBlocks: ipBlocks().optional(),
  notIpBlocks: ipBlocks().optional(),
  remoteIpBlocks: ipBlocks().optional(),
  notRemoteIpBlocks: ipBlocks().optional(),
  serviceAccounts: serviceAccounts().optional(),
  notServiceAccounts: serviceAccounts().optional(),
}).superRefine((src, ctx) => {
  const r = src as Record<string, unknown>;
  const count = (keys: readonly string[]) => keys.filter((k) => Array.isArray(r[k]) && (r[k] as unknown[]).length > 0).length;
  if (count(SOURCE_FIELDS) === 0 && Object.keys(r).every((k) => (SOURCE_FIELDS as readonly string[]).includes(k))) {
    ctx.addIssue({ code: 'custom', message: 'source must not be empty: set principals, namespaces, requestPrincipals, ipBlocks or one of their not* forms' });
  }
  if (count(['serviceAccounts', 'notServiceAccounts']) > 0 && count(['principals', 'notPrincipals', 'namespaces', 'notNamespaces']) > 0) {
    ctx.addIssue({ code: 'custom', path: ['serviceAccounts'], message: 'serviceAccounts cannot be combined with principals or namespaces in one source' });
  }
}, always);

export const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

export const AuthorizationOperationSchema = istioObject({
  hosts: nonEmptyStrings().optional(),
  notHosts: nonEmptyStrings().optional(),
  ports: ports().optional(),
  notPorts: ports().optional(),
  methods: nonEmptyStrings().optional(),
  notMethods: nonEmptyStrings().optional(),
  paths: paths().optional(),
  notPaths: paths().optional(),
}).superRefine((op, ctx) => {
  const r = op as Record<string, unknown>;
  const set = OPERATION_FIELDS.filter((k) => Array.isArray(r[k]) && (r[k] as unknown[]).length > 0);
  if (set.length === 0 && Object.keys(r).every((k) => (OPERATION_FIELDS as readonly string[]).includes(k))) {
    ctx.addIssue({ code: 'custom', message: 'operation must not be empty: set hosts, ports, methods, paths or one of their not* forms' });
  }
}, always);

const conditionKey = z.string().check(
  z.superRefine((key: string, ctx) => {
    const parsed = parseConditionKey(key);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  }),
);

export const AuthorizationConditionSchema = istioObject({
  key: conditionKey,
  values: z.array(z.string()).optional(),
  notValues: z.array(z.string()).optional(),
}).superRefine((cond, ctx) => {
  const parsed = typeof cond.key === 'string' ? parseConditionKey(cond.key) : undefined;
  const values = Array.isArray(cond.values) ? cond.values : [];
  const notValues = Array.isArray(cond.notValues) ? cond.notValues : [];
  if (parsed?.ok && values.length === 0 && notValues.length === 0) {
    ctx.addIssue({ code: 'custom', message: `set values or notValues for key ${cond.key}` });
  }
  if (!parsed?.ok) return;
  for (const [field, list] of [['values', values] as const, ['notValues', notValues] as const]) {
    list.forEach((value, i) => {
      const problem = typeof value === 'string' ? conditionValueProblem(parsed.key, value) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: [field, i], message: problem });
    });
  }
}, always);

export const AuthorizationRuleSchema = istioObject({
  from: z.array(istioObject({ source: AuthorizationSourceSchema })).min(1).optional(),
  to: z.array(istioObject({ operation: AuthorizationOperationSchema })).min(1).optional(),
  when: z.array(AuthorizationConditionSchema).optional(),
});

export const AuthorizationPolicySpecSchema = istioObject({
  selector: WorkloadSelectorSchema.optional(),
  targetRef: PolicyTargetReferenceSchema.optional(),
  targetRefs: z.array(PolicyTargetReferenceSchema).optional(),
  action: z.enum(AUTHORIZATION_ACTIONS).optional(),
  provider: istioObject({ name: z.string().min(1) }).optional(),
  rules: z.array(AuthorizationRuleSchema).optional(),
}).superRefine((spec, ctx) => {
  checkOneSelectorKind(spec, ctx);
  const action = spec.action ?? 'ALLOW';
  const noRules = !Array.isArray(spec.rules) || spec.rules.length === 0;
  if (action === 'CUSTOM') {
    if (noRules) ctx.addIssue({ code: 'custom', path: ['rules'], message: 'a CUSTOM policy without rules never triggers; add an empty rule {} to send every request to the provider' });
    else if (!isRecord(spec.provider)) ctx.addIssue({ code: 'custom', path: ['provider'], message: 'action CUSTOM needs provider.name' });
  } else if (spec.provider !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['provider'], message: `provider goes only with action CUSTOM, not ${action}` });
  }
  if (action === 'DENY' && noRules) {
    ctx.addIssue({ code: 'custom', path: ['rules'], message: 'a DENY policy without rules never matches; add an empty rule {} to deny every request' });
  }
}, always);

export const AuthorizationPolicySchema = securityResourceSchema('AuthorizationPolicy', AuthorizationPolicySpecSchema);
