// Byte classes of HTTP/1.1's grammar (RFC 9110 §5.6.2, RFC 9112 §3 and §5), as lookup tables so
// the head parser checks each byte with one array read.

const table = (accept: (c: number) => boolean): Uint8Array => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = accept(c) ? 1 : 0;
  return t;
};

/** tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
export const TOKEN = table((c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));

/** field-vchar / SP / HTAB / obs-text: what a field value may hold. CR, LF and NUL never. */
export const FIELD_VALUE = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/**
 * A request-target's bytes: visible US-ASCII only. Spaces, controls and bytes above 0x7E are
 * not part of any target form (RFC 9112 §3.2, RFC 3986); they are rejected rather than guessed at.
 */
export const TARGET = table((c) => c >= 0x21 && c <= 0x7e);

export const HEX = table((c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

export function allOf(accept: Uint8Array, s: string, from = 0, to = s.length): boolean {
  for (let i = from; i < to; i++) if (accept[s.charCodeAt(i)] !== 1) return false;
  return true;
}
