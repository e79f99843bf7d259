// outputClaimToHeaders: copies one claim into a request header, as Envoy's claim_to_headers does.
// Only strings, numbers and booleans are copied; a missing claim or any other type adds nothing.

/** A claim by name; "a.b" reaches into nested objects when no claim is literally named "a.b". */
export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

// Header values may not hold control characters; Node would refuse them when forwarding.
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** The header value Envoy would write, or undefined when it writes none. */
export function claimHeaderValue(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (typeof value === 'number' && Number.isFinite(value)) {
    // Envoy writes whole non-negative numbers as integers and others with six decimals (std::to_string).
    text = Number.isInteger(value) && value >= 0 ? String(value) : value.toFixed(6);
  }
  if (text === undefined || text === '' || INVALID_HEADER_VALUE.test(text)) return undefined;
  return text;
}
