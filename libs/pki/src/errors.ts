/**
 * The CA refused to sign a CSR. `reason` is meant for the caller: it says what was asked,
 * what was allowed and what to change.
 */
export class SigningRefused extends Error {
  override readonly name = 'SigningRefused';
  constructor(readonly reason: string) {
    super(`certificate signing refused: ${reason}`);
  }
}
