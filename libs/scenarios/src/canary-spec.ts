// The Canary resource: Flagger's analysis fields (interval, threshold, stepWeight, maxWeight,
// metrics with thresholdRange) on a Skiff resource that names the service and the two subsets
// of its DestinationRule, since Skiff shifts weight between subsets instead of creating
// primary/canary Deployments as Flagger does.
//
//   apiVersion: skiff.dev/v1alpha1
//   kind: Canary
//   metadata: { name: reviews, namespace: default }
//   spec:
//     service: reviews          # host of the VirtualService Skiff writes
//     port: 9080
//     primary: v1               # DestinationRule subsets
//     canary: v2
//     analysis:
//       interval: 10s
//       threshold: 2
//       stepWeight: 10          # or stepWeights: [10, 25, 50]
//       maxWeight: 50
//       metrics:
//       - name: request-success-rate
//         thresholdRange: { min: 99 }
//       - name: request-duration
//         thresholdRange: { max: 500 }
import { isDuration, parseDuration } from '@skiff/api';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { CanaryAnalysis } from './canary-analysis.js';

export interface CanarySpec {
  name: string;
  namespace: string;
  service: string;
  port: number;
  primary: string;
  canary: string;
  analysis: CanaryAnalysis;
}

const Percent = z.number().min(0).max(100);
const Metric = z
  .object({
    name: z.enum(['request-success-rate', 'request-duration']),
    thresholdRange: z.object({ min: z.number().optional(), max: z.number().optional() }).strict(),
  })
  .strict()
  .refine((m) => m.thresholdRange.min !== undefined || m.thresholdRange.max !== undefined, { message: 'thresholdRange needs min or max', path: ['thresholdRange'] });

const CanarySchema = z
  .object({
    apiVersion: z.literal('skiff.dev/v1alpha1'),
    kind: z.literal('Canary'),
    metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1).default('default') }),
    spec: z
      .object({
        service: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(9080),
        primary: z.string().min(1),
        canary: z.string().min(1),
        analysis: z
          .object({
            interval: z.string().refine(isDuration, { message: 'a duration such as "10s" or "1m"' }),
            threshold: z.number().int().min(1),
            stepWeight: Percent.refine((n) => n > 0, { message: 'must be more than 0' }).optional(),
            maxWeight: Percent.refine((n) => n > 0, { message: 'must be more than 0' }).optional(),
            stepWeights: z
              .array(Percent)
              .min(1)
              .refine((ws) => ws.every((w, i) => w > 0 && (i === 0 || w > (ws[i - 1] as number))), { message: 'must rise, each more than 0, e.g. [10, 25, 50]' })
              .optional(),
            metrics: z.array(Metric).min(1),
          })
          .strict()
          .refine((a) => a.stepWeights !== undefined || (a.stepWeight !== undefined && a.maxWeight !== undefined), { message: 'give stepWeight and maxWeight, or stepWeights' }),
      })
      .strict()
      .refine((s) => s.primary !== s.canary, { message: 'primary and canary must be different subsets', path: ['canary'] }),
  })
  .strict();

/** Reads a Canary from YAML; errors name the file, line and field, and say what was expected. */
export function parseCanary(file: string, text: string): CanarySpec {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'not YAML'}`);
  const result = CanarySchema.safeParse(doc.toJS());
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    const node = doc.getIn(issue?.path ?? [], true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? lineOf(text, node.range[0]) : undefined;
    throw new Error(`${file}${line ? `:${line}` : ''}: Canary ${path || '(document)'}: ${issue?.message ?? 'invalid'}`);
  }
  const { metadata, spec } = result.data;
  return {
    name: metadata.name,
    namespace: metadata.namespace,
    service: spec.service,
    port: spec.port,
    primary: spec.primary,
    canary: spec.canary,
    analysis: {
      intervalMs: parseDuration(spec.analysis.interval),
      threshold: spec.analysis.threshold,
      stepWeight: spec.analysis.stepWeight ?? spec.analysis.stepWeights?.[0] ?? 0,
      maxWeight: spec.analysis.maxWeight ?? spec.analysis.stepWeights?.at(-1) ?? 0,
      ...(spec.analysis.stepWeights ? { stepWeights: spec.analysis.stepWeights } : {}),
      metrics: spec.analysis.metrics,
    },
  };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
