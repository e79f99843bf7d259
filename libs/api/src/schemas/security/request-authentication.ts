// RequestAuthentication (security.istio.io): which JWTs a workload accepts and where it finds
// them. Checks follow Istio's validation: issuer or jwksUri, an http(s) jwksUri, a parseable
// inline jwks, non-empty token locations and valid header names for claims copied to headers.
import { z } from 'zod';
import { always, hasMisspelling, istioObject } from '../common.js';
import { checkOneSelectorKind, nonEmptyStrings, PolicyTargetReferenceSchema, securityResourceSchema, WorkloadSelectorSchema } from './common.js';

// RFC 9110 token: what an HTTP header name may be made of.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

const headerName = z
  .string()
  .min(1)
  .check(
    z.superRefine((s: string, ctx) => {
      if (s !== '' && !HEADER_NAME.test(s)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not a valid HTTP header name (letters, digits and !#$%&'*+.^_\`|~-)` });
    }),
  );

const jwksUri = z
  .string()
  .min(1)
  .check(
    z.superRefine((s: string, ctx) => {
      let url: URL;
      try {
        url = new URL(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: `jwksUri ${JSON.stringify(s)} is not a URL; write it as https://issuer.example.com/.well-known/jwks.json` });
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `jwksUri scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not supported; use http or https` });
    }),
  );

/** A JSON Web Key Set ({"keys": [...]}) or a single key ({"kty": ...}), as Istio's parser accepts. */
const jwks = z
  .string()
  .min(1)
  .check(
    z.superRefine((s: string, ctx) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `jwks is not JSON: ${(err as Error).message}` });
        return;
      }
      const obj = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      const keys = obj['keys'];
      const ok = Array.isArray(keys) ? keys.every((k) => typeof k === 'object' && k !== null && typeof (k as Record<string, unknown>)['kty'] === 'string') : typeof obj['kty'] === 'string';
      if (!ok) ctx.addIssue({ code: 'custom', message: 'jwks must be a JSON Web Key Set ({"keys": [{"kty": ...}, ...]}) or a single key with "kty"' });
    }),
  );

export const JWTHeaderSchema = istioObject({ name: z.string().min(1), prefix: z.string().optional() });

export const ClaimToHeaderSchema = istioObject({ header: headerName, claim: z.string().min(1) });

export const JWTRuleSchema = istioObject(
  {
    issuer: z.string().min(1).optional(),
    audiences: nonEmptyStrings().optional(),
    jwksUri: jwksUri.optional(),
    jwks: jwks.optional(),
    fromHeaders: z.array(JWTHeaderSchema).optional(),
    fromParams: nonEmptyStrings().optional(),
    outputPayloadToHeader: headerName.optional(),
    forwardOriginalToken: z.boolean().optional(),
    outputClaimToHeaders: z.array(ClaimToHeaderSchema).optional(),
  },
  ['fromCookies', 'timeout'],
).superRefine((rule, ctx) => {
  if (rule.issuer === undefined && rule.jwksUri === undefined && !hasMisspelling(rule, ['issuer', 'jwksUri'])) {
    ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'set issuer (the "iss" claim tokens must carry), or at least jwksUri' });
  }
}, always);

export const RequestAuthenticationSpecSchema = istioObject({
  selector: WorkloadSelectorSchema.optional(),
  targetRef: PolicyTargetReferenceSchema.optional(),
  targetRefs: z.array(PolicyTargetReferenceSchema).optional(),
  jwtRules: z.array(JWTRuleSchema).optional(),
}).superRefine((spec, ctx) => checkOneSelectorKind(spec, ctx), always);

export const RequestAuthenticationSchema = securityResourceSchema('RequestAuthentication', RequestAuthenticationSpecSchema);
