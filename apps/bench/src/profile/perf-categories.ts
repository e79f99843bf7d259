// Sorts a `perf report --no-children --sort sym -g none` listing of a Node.js process (run with
// --perf-basic-prof, so JIT-compiled JavaScript has names) into where the time goes: the kernel,
// TLS (OpenSSL and node's TLSWrap), memory (malloc and V8's allocator and collector), V8's
// builtins, the rest of node's and V8's native code, Node's own JavaScript (streams, timers) and
// the program's JavaScript (files under `ownCode`).

export type Category = 'kernel' | 'TLS (OpenSSL, TLSWrap)' | 'memory (malloc, V8 GC)' | 'v8 builtins' | 'native (node, V8, libc, libuv)' | "node's JavaScript" | 'program JavaScript';

const TLS = /^(ssl|SSL_|tls|dtls|EVP_|ossl_|aesni|aes_|gcm|CRYPTO_|OPENSSL_|BIO_|ERR_|node::crypto::)/;
const MEMORY = /^(malloc|_int_malloc|_int_free|free|cfree|malloc_consolidate|unlink_chunk|__libc_malloc|__libc_free|v8::internal::(Scavenger|ScavengerCollector|Heap::|ArrayBufferSweeper|MarkCompactCollector|ConcurrentMarking|Factory|FactoryBase|MemoryAllocator|PagedSpace|SemiSpace))/;

export interface PerfLine {
  share: number;
  symbol: string;
  kernel: boolean;
}

export function parsePerfReport(text: string): PerfLine[] {
  const lines: PerfLine[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+(?:\.\d+)?)%\s+\[([k.])\]\s+(.*\S)\s*$/.exec(line);
    if (match) lines.push({ share: Number(match[1]), kernel: match[2] === 'k', symbol: match[3] as string });
  }
  return lines;
}

export function categoryOf(line: PerfLine, ownCode: string): Category {
  if (line.kernel) return 'kernel';
  if (line.symbol.startsWith('JS:')) return line.symbol.includes(ownCode) ? 'program JavaScript' : "node's JavaScript";
  if (line.symbol.startsWith('Builtins_')) return 'v8 builtins';
  if (TLS.test(line.symbol)) return 'TLS (OpenSSL, TLSWrap)';
  if (MEMORY.test(line.symbol)) return 'memory (malloc, V8 GC)';
  return 'native (node, V8, libc, libuv)';
}

export function shareByCategory(lines: PerfLine[], ownCode: string): Map<Category, number> {
  const shares = new Map<Category, number>();
  for (const line of lines) {
    const category = categoryOf(line, ownCode);
    shares.set(category, (shares.get(category) ?? 0) + line.share);
  }
  return new Map([...shares].sort((a, b) => b[1] - a[1]));
}
