// Where an HTTP/1.1 request is going. An app using the sidecar as its explicit HTTP proxy sends
// absolute-form ("GET http://reviews:9080/r/1"); an app given the proxy as a plain host sends
// origin-form with a Host header. Both are accepted.
export interface RequestTarget {
  authority: string;
  host: string;
  port: number;
  path: string;
}

export function requestTarget(url: string | undefined, hostHeader: string | undefined, defaultPort = 80): RequestTarget | string {
  let authority: string;
  let path: string;
  if (url && (url.startsWith('http://') || url.startsWith('https://'))) {
    const schemeEnd = url.indexOf('//') + 2;
    const slash = url.indexOf('/', schemeEnd);
    authority = slash < 0 ? url.slice(schemeEnd) : url.slice(schemeEnd, slash);
    path = slash < 0 ? '/' : url.slice(slash);
  } else {
    if (!hostHeader) return 'missing Host header';
    authority = hostHeader;
    path = url && url.length > 0 ? url : '/';
  }
  if (authority.length === 0) return 'empty authority';
  authority = authority.toLowerCase();
  const colon = authority.lastIndexOf(':');
  const bracket = authority.lastIndexOf(']');
  if (colon > bracket) {
    const port = Number(authority.slice(colon + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `bad port in "${authority}"`;
    return { authority, host: authority.slice(0, colon), port, path };
  }
  return { authority, host: authority, port: defaultPort, path };
}
