// The credential for the control plane's few writes (a scenario's report for the dashboard,
// spans for its trace store): one random token per mesh, in a file readable by the mesh's user
// (`skiff up` keeps it in .skiff/mesh-token; compose in the tokens volume, for the sidecars).
// Without it, anyone who can reach the monitoring port could show a forged "PASSED: v2 promoted"
// or forged spans on the dashboard.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ensureMeshToken } from '@skiff/launcher';

export type WriteVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

const HOW = 'send "authorization: Bearer <the mesh token>" (skiff reads it from the mesh state directory, .skiff/mesh-token; proxies from --trace-token-file)';

export class MeshToken {
  #digest: Buffer | undefined;
  #lastReadAt = 0;

  /** `file` undefined: this control plane takes no writes. */
  constructor(private readonly file: string | undefined) {
    this.#read();
  }

  /** Reads the token, creating it (mode `mode`) when the file does not exist yet. */
  static loadOrCreate(file: string, mode = 0o600): MeshToken {
    ensureMeshToken(file, mode);
    return new MeshToken(file);
  }

  get configured(): boolean {
    return this.file !== undefined;
  }

  check(authorization: string | undefined): WriteVerdict {
    if (!this.file) return { ok: false, status: 403, message: 'this control plane takes no writes: start it with --mesh-token-file' };
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
    if (!token) return { ok: false, status: 401, message: `a write to the control plane needs the mesh token: ${HOW}` };
    if (this.#matches(token)) return { ok: true };
    // The operator may have replaced the file; look again, but not more than once a second.
    if (Date.now() - this.#lastReadAt > 1_000 && (this.#read(), this.#matches(token))) return { ok: true };
    return { ok: false, status: 401, message: `the mesh token is not this mesh's: ${HOW}` };
  }

  #matches(token: string): boolean {
    const digest = createHash('sha256').update(token).digest();
    return this.#digest !== undefined && timingSafeEqual(digest, this.#digest);
  }

  #read(): void {
    this.#lastReadAt = Date.now();
    if (!this.file) return;
    try {
      const token = readFileSync(this.file, 'utf8').trim();
      this.#digest = token.length >= 16 ? createHash('sha256').update(token).digest() : undefined;
    } catch {
      this.#digest = undefined;
    }
  }
}
