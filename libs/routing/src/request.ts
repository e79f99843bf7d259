// What the router needs to know about a request, and a per-request view over it that does the
// little parsing routing needs (path without query, query params, joined header values) lazily,
// so routes that never look at the query or a header never pay for them.
import { findQueryParam } from './query-string.js';

export interface RouteRequest {
  method: string;
  /** The Host / :authority header as received, e.g. "reviews:9080". */
  authority: string;
  /** The request target as received, query string included, e.g. "/api/v1?x=1". */
  path: string;
  /** Header names in lower case, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** "http" unless told otherwise; only scheme matches look at it. */
  scheme?: string;
  /** The port the request was addressed to (the listener or service port). */
  port?: number;
  /** The calling workload's labels (sidecar outbound: the proxy's own workload). */
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
}

export class RequestView {
  #pathOnly: string | undefined;
  #pathLower: string | undefined;

  constructor(readonly req: RouteRequest) {}

  /** The path with query string and fragment removed: what Envoy matches uri conditions on. */
  get pathOnly(): string {
    if (this.#pathOnly === undefined) {
      const p = this.req.path;
      let end = p.length;
      const q = p.indexOf('?');
      if (q >= 0) end = q;
      const h = p.indexOf('#');
      if (h >= 0 && h < end) end = h;
      this.#pathOnly = end === p.length ? p : p.slice(0, end);
    }
    return this.#pathOnly;
  }

  get pathLower(): string {
    this.#pathLower ??= this.pathOnly.toLowerCase();
    return this.#pathLower;
  }

  /** First value of a query parameter (Envoy uses the first), percent-decoded. */
  queryParam(name: string): string | undefined {
    return findQueryParam(this.req.path, name);
  }

  /**
   * A header's value; several values are joined with "," as Envoy does before matching.
   * Pseudo-headers (":authority", ":method", ":path", ":scheme") and "host" come from the request
   * line, since node does not always put them in `headers`.
   */
  header(name: string): string | undefined {
    switch (name) {
      case ':authority':
      case 'host':
        return this.req.authority;
      case ':method':
        return this.req.method;
      case ':path':
        return this.req.path;
      case ':scheme':
        return this.scheme;
    }
    const v = this.req.headers[name];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : v.join(',');
  }

  get scheme(): string {
    return this.req.scheme ?? 'http';
  }
}
