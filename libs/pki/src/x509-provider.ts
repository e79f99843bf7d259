// One place that wires @peculiar/x509 to node's WebCrypto, so every module that builds or
// reads certificates gets the same provider (the library needs reflect-metadata loaded first).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

// The repo compiles without the DOM lib, so WebCrypto types come from node's namespace.
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { x509 };

/** Skiff uses ECDSA P-256 with SHA-256 for every key it makes (Istio's default for workloads). */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** The algorithm to pass to the generators: curve for the key, hash for the signature. */
export const SIGNING_ALGORITHM = { ...EC_P256, ...ECDSA_SHA256 };

/** A random positive serial of 128 bits, as hex (the library adds a 0x00 byte if needed). */
export function randomSerialHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Buffer.from(bytes).toString('hex');
}
