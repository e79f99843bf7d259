// WorkloadEntry and WorkloadGroup (networking.istio.io): workloads outside Kubernetes, as Istio's
// reference names their fields (istio/api networking/v1alpha3/workload_entry.proto and
// workload_group.proto). Skiff's control plane does not read them: its endpoints are the
// sidecars that announce themselves. `skiff up` reads WorkloadEntries to start a sidecar in
// front of each (and, with the skiff.dev/command annotation, the process itself).
import { z } from 'zod';
import { parseIpAddress } from '../security/ip.js';
import { always, hostProblem, istioObject, labelMap, portNumber, resourceSchema } from './common.js';

/** The annotations `skiff up` reads on a WorkloadEntry. */
export const WORKLOAD_ANNOTATIONS = {
  /** A shell command line that starts the workload (run with /bin/sh -c). */
  command: 'skiff.dev/command',
  /** Its working directory, relative to the file the WorkloadEntry is in. */
  workingDir: 'skiff.dev/working-dir',
  /** Extra environment, one NAME=value per line. */
  env: 'skiff.dev/env',
  /** How its sidecar checks it: http:/<path>, tcp or none (default tcp). */
  probe: 'skiff.dev/probe',
} as const;

const PORT_NAME = /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
/** Port name -> number; each name a DNS label of at most 15 characters, as Kubernetes port names are. */
const namedPorts = z.record(z.string(), portNumber).check(
  z.superRefine((ports: Record<string, unknown>, ctx) => {
    for (const name of Object.keys(ports)) {
      if (!PORT_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `port name ${JSON.stringify(name)} must be a DNS label of at most 15 characters (lowercase letters, digits, "-"), as Kubernetes port names are` });
    }
  }),
);

export const WorkloadEntrySpecSchema = istioObject(
  {
    address: z.string().min(1).optional(),
    ports: namedPorts.optional(),
    labels: labelMap().optional(),
    serviceAccount: z.string().min(1).optional(),
  },
  ['network', 'locality', 'weight'],
).superRefine((spec, ctx) => {
  const address = spec.address;
  if (typeof address === 'string' && address.startsWith('unix://')) ctx.addIssue({ code: 'custom', path: ['address'], message: 'Unix domain socket addresses are not supported by Skiff; give an IP address or host name' });
  else if (typeof address === 'string' && parseIpAddress(address) === undefined && hostProblem(address, false)) ctx.addIssue({ code: 'custom', path: ['address'], message: `${JSON.stringify(address)} is neither an IP address nor a host name` });
}, always);

export const WorkloadEntrySchema = resourceSchema('WorkloadEntry', WorkloadEntrySpecSchema);

export const WorkloadGroupSpecSchema = istioObject(
  {
    metadata: istioObject({ labels: labelMap().optional(), annotations: z.record(z.string(), z.string()).optional() }).optional(),
    template: WorkloadEntrySpecSchema,
  },
  ['probe'],
);

export const WorkloadGroupSchema = resourceSchema('WorkloadGroup', WorkloadGroupSpecSchema);

export type WorkloadEntry = z.output<typeof WorkloadEntrySchema>;
export type WorkloadGroup = z.output<typeof WorkloadGroupSchema>;
/** A validated WorkloadEntry or WorkloadGroup, with where it came from. */
export type LoadedWorkload = (WorkloadEntry | WorkloadGroup) & { metadata: { namespace: string }; source: { file: string; line: number } };

/** Istio's kinds for workloads outside Kubernetes, which `skiff up` reads and the control plane does not. */
export const WORKLOAD_KINDS = ['WorkloadEntry', 'WorkloadGroup'] as const;
export const WORKLOAD_SCHEMA_BY_KIND = { WorkloadEntry: WorkloadEntrySchema, WorkloadGroup: WorkloadGroupSchema } as const;
export function isWorkloadKind(kind: unknown): kind is (typeof WORKLOAD_KINDS)[number] {
  return typeof kind === 'string' && (WORKLOAD_KINDS as readonly string[]).includes(kind);
}
