// One condition per field of an Istio HTTPMatchRequest. Each knows how to test a request, how to
// describe itself ("header end-user exact \"jason\"") and what the request actually had, so
// `skiff simulate` can say why a route did not match without re-deriving anything.
import type { HeaderMatch, StringMatchSpec } from '@skiff/api';
import type { RequestView } from './request.js';
import { compileStringMatch } from './string-match.js';

export interface Condition {
  readonly description: string;
  test(req: RequestView): boolean;
  /** What the request had for this field, e.g. `header end-user is "bob"`. Only for explanations. */
  observed(req: RequestView): string;
}

const MAX_SHOWN = 80;

/** Quotes a value for explanations, cut short so a huge header cannot flood the output. */
export function show(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

export function uriCondition(spec: StringMatchSpec, ignoreCase: boolean, where: string): Condition {
  const m = compileStringMatch(spec, { ignoreCase, where: `${where} uri` });
  return {
    description: `uri ${m.description}`,
    test: (req) => m.test(req.pathOnly),
    observed: (req) => `path is ${show(req.pathOnly)}`,
  };
}

/** method, authority and scheme: a string match on one value every request has. */
export function requestFieldCondition(field: 'method' | 'authority' | 'scheme', spec: StringMatchSpec, where: string): Condition {
  const m = compileStringMatch(spec, { where: `${where} ${field}` });
  const read = (req: RequestView): string => (field === 'scheme' ? req.scheme : req.req[field]);
  return {
    description: `${field} ${m.description}`,
    test: (req) => m.test(read(req)),
    observed: (req) => `${field} is ${show(read(req))}`,
  };
}

export function headerCondition(h: HeaderMatch, where: string): Condition {
  const name = h.name.toLowerCase();
  const present = h.present ?? true;
  const observed = (req: RequestView): string => {
    const v = req.header(name);
    return v === undefined ? `header ${name} is absent` : `header ${name} is ${show(v)}`;
  };
  if (h.match === undefined) {
    return {
      description: `header ${name} ${present ? 'present' : 'absent'}`,
      test: present ? (req) => req.header(name) !== undefined : (req) => req.header(name) === undefined,
      observed,
    };
  }
  const m = compileStringMatch(h.match, { where: `${where} header "${name}"` });
  if (present) {
    return {
      description: `header ${name} ${m.description}`,
      test: (req) => {
        const v = req.header(name);
        return v !== undefined && m.test(v);
      },
      observed,
    };
  }
  // Istio's withoutHeaders: passes unless the header is there with a matching value, so a
  // missing header passes (Istio sets Envoy's treat_missing_header_as_empty for this).
  return {
    description: `header ${name} not ${m.description}`,
    test: (req) => {
      const v = req.header(name);
      return v === undefined || !m.test(v);
    },
    observed,
  };
}

export function queryParamCondition(q: { name: string; match?: StringMatchSpec | undefined }, where: string): Condition {
  const name = q.name;
  const observed = (req: RequestView): string => {
    const v = req.queryParam(name);
    return v === undefined ? `query param ${name} is absent` : `query param ${name} is ${show(v)}`;
  };
  if (q.match === undefined) {
    return { description: `query param ${name} present`, test: (req) => req.queryParam(name) !== undefined, observed };
  }
  const m = compileStringMatch(q.match, { where: `${where} query param "${name}"` });
  return {
    description: `query param ${name} ${m.description}`,
    test: (req) => {
      const v = req.queryParam(name);
      return v !== undefined && m.test(v);
    },
    observed,
  };
}

export function portCondition(port: number): Condition {
  return {
    description: `port ${port}`,
    test: (req) => req.req.port === port,
    observed: (req) => (req.req.port === undefined ? 'port is unknown' : `port is ${req.req.port}`),
  };
}

export function sourceLabelsCondition(labels: Record<string, string>): Condition {
  const wanted = Object.entries(labels);
  const firstMismatch = (req: RequestView): [string, string | undefined] | undefined => {
    const have = req.req.sourceLabels;
    for (const [k, v] of wanted) {
      const got = have?.[k];
      if (got !== v) return [k, got];
    }
    return undefined;
  };
  return {
    description: `source labels ${wanted.map(([k, v]) => `${k}=${v}`).join(',') || '(none)'}`,
    test: (req) => firstMismatch(req) === undefined,
    observed: (req) => {
      if (req.req.sourceLabels === undefined) return 'source labels are unknown';
      const miss = firstMismatch(req);
      if (miss === undefined) return 'source labels match';
      return miss[1] === undefined ? `source label ${miss[0]} is missing` : `source label ${miss[0]} is ${show(miss[1])}`;
    },
  };
}

export function sourceNamespaceCondition(namespace: string): Condition {
  return {
    description: `source namespace ${show(namespace)}`,
    test: (req) => req.req.sourceNamespace === namespace,
    observed: (req) => (req.req.sourceNamespace === undefined ? 'source namespace is unknown' : `source namespace is ${show(req.req.sourceNamespace)}`),
  };
}
