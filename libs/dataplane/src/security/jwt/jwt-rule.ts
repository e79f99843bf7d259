// One entry of an Istio RequestAuthentication's `jwtRules` (security.istio.io/v1 JWTRule), the
// fields the data plane needs, spelled exactly as Istio spells them. Declared here rather than
// imported from @skiff/api so the authenticator stays usable while that schema settles; the
// snapshot's rules are structurally assignable to it.
export interface JwtRule {
  /** The `iss` this rule accepts, e.g. "https://accounts.example.com". */
  issuer: string;
  /** Accepted `aud` values; empty or absent means any audience (Istio's rule). */
  audiences?: string[];
  /** Where to fetch the public keys (a JSON Web Key Set) over HTTP(S). */
  jwksUri?: string;
  /** The JSON Web Key Set itself, as a JSON string; wins over jwksUri when both are set. */
  jwks?: string;
  /** Headers to read the token from; `prefix` (e.g. "Bearer ") is stripped first. */
  fromHeaders?: { name: string; prefix?: string }[];
  /** Query parameters to read the token from. */
  fromParams?: string[];
  /** Cookies to read the token from. */
  fromCookies?: string[];
  /** Header that receives the verified token's payload (base64url, as in the token). */
  outputPayloadToHeader?: string;
  /** Keep the token in the request sent to the app; by default it is removed. */
  forwardOriginalToken?: boolean;
  /** Copy single claims (string, number or boolean) into request headers. */
  outputClaimToHeaders?: { header: string; claim: string }[];
}

/** Envoy's default token locations, used when a rule names none of its own. */
export const DEFAULT_TOKEN_HEADER = { name: 'authorization', prefix: 'Bearer ' } as const;
export const DEFAULT_TOKEN_PARAM = 'access_token';
