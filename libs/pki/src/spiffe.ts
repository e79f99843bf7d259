// SPIFFE IDs as Istio uses them: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.
// Rules follow the SPIFFE ID spec (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md):
// lowercase trust domain, path segments of [A-Za-z0-9._-], no empty, "." or ".." segments,
// no query, fragment, port or user info.

export interface SpiffeIdParts {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

const SCHEME = 'spiffe://';
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_URI_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;
const ISTIO_FORM = 'spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>';

function problemWithTrustDomain(trustDomain: string): string | undefined {
  if (trustDomain === '') return 'the trust domain is empty';
  if (trustDomain.length > MAX_TRUST_DOMAIN) return `the trust domain is longer than ${MAX_TRUST_DOMAIN} characters`;
  if (!TRUST_DOMAIN.test(trustDomain)) {
    return `the trust domain '${trustDomain}' may only contain lowercase letters, digits, '.', '-' and '_' (no port, no user info)`;
  }
  return undefined;
}

function problemWithSegment(segment: string, what: string): string | undefined {
  if (segment === '') return `the ${what} is empty`;
  if (segment === '.' || segment === '..') return `the ${what} may not be '.' or '..'`;
  if (!SEGMENT.test(segment)) return `the ${what} '${segment}' may only contain letters, digits, '.', '-' and '_'`;
  return undefined;
}

/** Why `uri` is not a valid SPIFFE ID (any path shape), or undefined when it is one. */
export function spiffeIdProblem(uri: string): string | undefined {
  if (!uri.startsWith(SCHEME)) return `it does not start with '${SCHEME}'`;
  if (Buffer.byteLength(uri) > MAX_URI_BYTES) return `it is longer than ${MAX_URI_BYTES} bytes`;
  if (/[?#]/.test(uri)) return 'it has a query or fragment, which SPIFFE IDs may not have';
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  const trustDomainProblem = problemWithTrustDomain(trustDomain);
  if (trustDomainProblem) return trustDomainProblem;
  if (slash < 0) return undefined;
  const segments = rest.slice(slash + 1).split('/');
  for (const segment of segments) {
    const problem = problemWithSegment(segment, 'path segment');
    if (problem) return segment === '' ? 'the path has an empty segment (a double or trailing slash)' : problem;
  }
  return undefined;
}

/** True when `uri` is a syntactically valid SPIFFE ID. */
export function isSpiffeId(uri: string): boolean {
  return spiffeIdProblem(uri) === undefined;
}

/** Builds `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`; throws naming the bad part. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  const problem =
    problemWithTrustDomain(trustDomain) ??
    problemWithSegment(namespace, 'namespace') ??
    problemWithSegment(serviceAccount, 'service account');
  if (problem) {
    throw new Error(`cannot build a SPIFFE ID from trust domain '${trustDomain}', namespace '${namespace}', service account '${serviceAccount}': ${problem}`);
  }
  return `${SCHEME}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Splits an Istio-shaped SPIFFE ID into its parts; throws saying what is wrong and the expected form. */
export function parseSpiffeId(uri: string): SpiffeIdParts {
  const fail = (why: string): never => {
    throw new Error(`'${uri}' is not a workload SPIFFE ID: ${why}; expected ${ISTIO_FORM}`);
  };
  const problem = spiffeIdProblem(uri);
  if (problem) return fail(problem);
  const [trustDomain, ns, namespace, sa, serviceAccount, ...extra] = uri.slice(SCHEME.length).split('/');
  if (ns !== 'ns' || sa !== 'sa' || namespace === undefined || serviceAccount === undefined || extra.length > 0) {
    return fail('the path is not /ns/<namespace>/sa/<service-account>');
  }
  return { trustDomain: trustDomain ?? '', namespace, serviceAccount };
}

/**
 * Istio's principal form, `cluster.local/ns/default/sa/reviews`: the SPIFFE ID without its scheme.
 * AuthorizationPolicy `source.principals` match against this.
 */
export function principalOf(id: string): string {
  const problem = spiffeIdProblem(id);
  if (problem) throw new Error(`cannot take the principal of '${id}': ${problem}`);
  return id.slice(SCHEME.length);
}

/**
 * The SPIFFE ID in node's `getPeerCertificate().subjectaltname` ("URI:spiffe://…, DNS:…").
 * Undefined when there is none, or more than one (an ambiguous identity is no identity).
 */
export function spiffeIdFromSubjectAltName(subjectaltname: string | undefined): string | undefined {
  if (!subjectaltname) return undefined;
  const ids = subjectaltname
    .split(/,\s*/)
    .filter((entry) => entry.startsWith(`URI:${SCHEME}`))
    .map((entry) => entry.slice('URI:'.length))
    .filter(isSpiffeId);
  return ids.length === 1 ? ids[0] : undefined;
}
