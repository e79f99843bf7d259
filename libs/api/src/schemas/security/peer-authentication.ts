// PeerAuthentication (security.istio.io): whether a workload's inbound listener requires, allows
// or refuses mutual TLS, for the whole mesh, a namespace, or selected workloads and their ports.
import { z } from 'zod';
import { MTLS_MODES } from '../../security-resources.js';
import { always, istioObject } from '../common.js';
import { isEmptySelector, securityResourceSchema, WorkloadSelectorSchema } from './common.js';

export const PeerAuthenticationMutualTLSSchema = istioObject({ mode: z.enum(MTLS_MODES).optional() });

const PORT_KEY = /^[1-9][0-9]{0,4}$/;

export const PortLevelMtlsSchema = z.record(z.string(), PeerAuthenticationMutualTLSSchema).check(
  z.superRefine((ports: Record<string, unknown>, ctx) => {
    if (Object.keys(ports).length === 0) ctx.addIssue({ code: 'custom', message: 'portLevelMtls, if set, must name at least one port' });
    for (const port of Object.keys(ports)) {
      if (!PORT_KEY.test(port) || Number(port) > 65535) {
        ctx.addIssue({ code: 'custom', path: [port], message: `port ${JSON.stringify(port)} must be a number in 1..65535 (the workload's port, not the service port)` });
      }
    }
  }),
);

export const PeerAuthenticationSpecSchema = istioObject({
  selector: WorkloadSelectorSchema.optional(),
  mtls: PeerAuthenticationMutualTLSSchema.optional(),
  portLevelMtls: PortLevelMtlsSchema.optional(),
}).superRefine((spec, ctx) => {
  if (spec.portLevelMtls !== undefined && (spec.selector === undefined || isEmptySelector(spec.selector))) {
    ctx.addIssue({
      code: 'custom',
      path: ['portLevelMtls'],
      message: 'a mesh- or namespace-wide PeerAuthentication cannot set portLevelMtls; add a selector with matchLabels for the workloads whose ports these are',
    });
  }
}, always);

export const PeerAuthenticationSchema = securityResourceSchema('PeerAuthentication', PeerAuthenticationSpecSchema);
