// The local mesh's state directory: the CA's root (kept across runs, so proxies' trust chain
// survives a restart) and one bootstrap token per workload, which entitles its holder to that
// workload's identity only. Files are readable by this user only.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { claimPidFile } from './pid-file.js';

export interface WorkloadAccount {
  name: string;
  namespace: string;
  serviceAccount: string;
  /** The services this identity may serve (announce endpoints of); default: the one named like the service account. */
  services?: string[];
}

export interface MeshState {
  dir: string;
  caDir: string;
  tokensFile: string;
  /** Workload name -> file holding its token. */
  tokenFiles: Record<string, string>;
  /** The token the control plane asks of writes (scenario reports, spans); readable by this user only. */
  meshTokenFile: string;
}

export function prepareMeshState(dir: string, accounts: readonly WorkloadAccount[]): MeshState {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const { tokensFile, tokenFiles } = writeBootstrapTokens(dir, accounts);
  const meshTokenFile = join(dir, 'mesh-token');
  ensureMeshToken(meshTokenFile);
  return { dir, caDir: join(dir, 'ca'), tokensFile, tokenFiles, meshTokenFile };
}

/**
 * Creates the mesh token (what the control plane asks of writes) unless the file exists: 32
 * random bytes, `mode` (0600; compose's 0640 lets the sidecars in the control plane's group read it).
 */
export function ensureMeshToken(file: string, mode = 0o600): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new Error(`cannot create the mesh token ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  chmodSync(file, mode); // the process umask may have narrowed `mode`
}

/**
 * `<dir>/tokens.json` (what the CA reads) and `<dir>/tokens/<workload>.token` (what each proxy
 * reads), keeping tokens that already exist for the same account so running proxies stay valid.
 */
export function writeBootstrapTokens(dir: string, accounts: readonly WorkloadAccount[], options: { groupReadable?: boolean } = {}): { tokensFile: string; tokenFiles: Record<string, string> } {
  // Group-readable for compose, where sidecars run as another user (istio-proxy, 1337) in the
  // control plane's group; the CA's own table stays private either way.
  const fileMode = options.groupReadable ? 0o640 : 0o600;
  mkdirSync(join(dir, 'tokens'), { recursive: true, mode: 0o700 });
  chmodSync(join(dir, 'tokens'), options.groupReadable ? 0o750 : 0o700);
  const tokensFile = join(dir, 'tokens.json');
  const previous = existsSync(tokensFile) ? (JSON.parse(readFileSync(tokensFile, 'utf8')) as { tokens: Array<{ token: string; namespace: string; serviceAccount: string; workload?: string }> }).tokens : [];
  const tokens = accounts.map((a) => {
    const token = previous.find((t) => t.workload === a.name && t.namespace === a.namespace && t.serviceAccount === a.serviceAccount)?.token ?? randomBytes(24).toString('base64url');
    return { workload: a.name, namespace: a.namespace, serviceAccount: a.serviceAccount, ...(a.services ? { services: a.services } : {}), token };
  });
  writeFileSync(tokensFile, JSON.stringify({ tokens }, null, 2) + '\n', { mode: 0o600 });
  const tokenFiles: Record<string, string> = {};
  for (const t of tokens) {
    const file = join(dir, 'tokens', `${t.workload}.token`);
    writeFileSync(file, t.token + '\n', { mode: fileMode });
    chmodSync(file, fileMode);
    tokenFiles[t.workload as string] = file;
  }
  return { tokensFile, tokenFiles };
}

/**
 * "frontend/default/frontend,reviews-v1/default/reviews": workload/namespace/serviceAccount,
 * comma-separated, each optionally followed by /<service>+<service>... (the services that
 * identity may serve, when they are not named like the service account).
 */
export function parseAccounts(spec: string): WorkloadAccount[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [name, namespace, serviceAccount, services, extra] = item.split('/');
      if (!name || !namespace || !serviceAccount || services === '' || extra !== undefined) throw new Error(`an account is <workload>/<namespace>/<serviceAccount>[/<service>+<service>...], got "${item}"`);
      return { name, namespace, serviceAccount, ...(services ? { services: services.split('+') } : {}) };
    });
}

interface TokenFileEntry {
  token: string;
  namespace: string;
  serviceAccount: string;
  workload?: string;
  services?: string[];
  /** Added by `skiff run` for as long as it runs. */
  joined?: boolean;
}

function readTokens(tokensFile: string): TokenFileEntry[] {
  if (!existsSync(tokensFile)) return [];
  return (JSON.parse(readFileSync(tokensFile, 'utf8')) as { tokens: TokenFileEntry[] }).tokens;
}

function writeTokensAtomically(tokensFile: string, tokens: TokenFileEntry[]): void {
  const temp = `${tokensFile}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ tokens }, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, tokensFile);
}

/**
 * Runs `edit` holding `<dir>/tokens.json.lock` (a pid file, as the start lock is), so that `skiff
 * run`s starting together do not write over each other's entries (four at once lost one in CI:
 * read, read, write, write). A lock whose holder is gone is taken over. The wait is synchronous:
 * an edit takes a millisecond.
 */
function withTokensLock<T>(dir: string, edit: () => T): T {
  const lock = join(dir, 'tokens.json.lock');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const claim = claimPidFile(lock, true);
    if (claim.kind === 'claimed') break;
    if (claim.kind === 'unusable') throw new Error(`cannot create ${lock}; is ${dir} writable?`);
    if (Date.now() > deadline) throw new Error(`${lock} has been held by pid ${claim.holder} for 10 s; if no skiff run is starting, delete it`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  try {
    return edit();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Entitles one more workload in a running mesh (`skiff run`): a token in `<dir>/tokens.json`,
 * which the CA reads again when it meets a token it does not know, and `<dir>/tokens/<name>.token`
 * for the joining proxy. A name the mesh's own workloads use is refused: their tokens are theirs.
 */
export function addJoinedToken(dir: string, account: WorkloadAccount): string {
  const tokensFile = join(dir, 'tokens.json');
  const token = randomBytes(24).toString('base64url');
  withTokensLock(dir, () => {
    const tokens = readTokens(tokensFile);
    const existing = tokens.find((t) => t.workload === account.name);
    if (existing && !existing.joined) throw new Error(`the workload name "${account.name}" belongs to the mesh's own ${existing.namespace}/${existing.serviceAccount}; choose another --name`);
    const entry: TokenFileEntry = { workload: account.name, namespace: account.namespace, serviceAccount: account.serviceAccount, ...(account.services ? { services: account.services } : {}), token, joined: true };
    writeTokensAtomically(tokensFile, [...tokens.filter((t) => t.workload !== account.name), entry]);
  });
  const file = join(dir, 'tokens', `${account.name}.token`);
  mkdirSync(join(dir, 'tokens'), { recursive: true, mode: 0o700 });
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return file;
}

/** Takes back what addJoinedToken gave (on `skiff run`'s exit); the mesh's own tokens are never touched. */
export function removeJoinedToken(dir: string, name: string): void {
  const tokensFile = join(dir, 'tokens.json');
  const removed = withTokensLock(dir, () => {
    const tokens = readTokens(tokensFile);
    if (!tokens.some((t) => t.workload === name && t.joined)) return false;
    writeTokensAtomically(tokensFile, tokens.filter((t) => !(t.workload === name && t.joined)));
    return true;
  });
  if (removed) rmSync(join(dir, 'tokens', `${name}.token`), { force: true });
}
