// ServiceEntry (networking.istio.io): hosts outside the mesh's own registry, named as in Istio's
// reference, with the checks of Istio's validation (pkg/config/validation, ValidateServiceEntry)
// that decide whether the entry can work at all.
import { z } from 'zod';
import { parseIpAddress } from '../security/ip.js';
import { always, exportTo, hostName, hostProblem, ipBlock, isRecord, istioObject, labelMap, portNumber, resourceSchema } from './common.js';
import { GATEWAY_PROTOCOLS } from './gateway.js';

export const ServicePortSchema = istioObject({
  number: portNumber,
  protocol: z.string().check(
    z.superRefine((p: string, ctx) => {
      if (!(GATEWAY_PROTOCOLS as readonly string[]).includes(p.toUpperCase())) ctx.addIssue({ code: 'custom', message: `unknown protocol ${JSON.stringify(p)}; use one of ${GATEWAY_PROTOCOLS.join(', ')}` });
    }),
  ),
  name: z.string().min(1),
  targetPort: portNumber.optional(),
});

export const ServiceEntryEndpointSchema = istioObject(
  {
    address: z.string().min(1),
    ports: z.record(z.string().min(1), portNumber).optional(),
    labels: labelMap().optional(),
    serviceAccount: z.string().min(1).optional(),
  },
  ['network', 'locality', 'weight'],
);

export const ServiceEntrySpecSchema = istioObject(
  {
    hosts: z.array(hostName()).min(1),
    addresses: z.array(ipBlock).optional(),
    ports: z.array(ServicePortSchema).min(1).optional(),
    location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).optional(),
    resolution: z.enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']).optional(),
    endpoints: z.array(ServiceEntryEndpointSchema).optional(),
    exportTo: exportTo.optional(),
    // The workloads (WorkloadEntries, sidecars started by skiff up or skiff run) that serve the hosts.
    workloadSelector: istioObject({ labels: labelMap() }).optional(),
  },
  ['subjectAltNames'],
).superRefine((spec, ctx) => {
  const resolution = spec.resolution ?? 'NONE';
  const endpoints = Array.isArray(spec.endpoints) ? spec.endpoints : [];
  // Istio's ValidateServiceEntry: "only one of WorkloadSelector or Endpoints is allowed".
  if (spec.workloadSelector !== undefined && endpoints.length > 0) ctx.addIssue({ code: 'custom', path: ['workloadSelector'], message: 'only one of workloadSelector or endpoints is allowed: the selected workloads are the endpoints' });
  const hosts = Array.isArray(spec.hosts) ? spec.hosts : [];
  if (!Array.isArray(spec.ports) || spec.ports.length === 0) ctx.addIssue({ code: 'custom', path: ['ports'], message: 'a ServiceEntry needs at least one port: Skiff routes by port, as Istio does' });
  if (resolution === 'NONE' && endpoints.length > 0) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: 'resolution NONE takes no endpoints (traffic goes where the caller sent it); use STATIC or DNS to list endpoints' });
  if (resolution === 'STATIC') {
    if (endpoints.length === 0 && spec.workloadSelector === undefined) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: 'resolution STATIC needs endpoints with IP addresses, or a workloadSelector' });
    endpoints.forEach((e, i) => {
      if (isRecord(e) && typeof e.address === 'string' && parseIpAddress(e.address) === undefined) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'address'], message: `resolution STATIC needs an IP address, not ${JSON.stringify(e.address)}; use resolution DNS for host names` });
    });
  }
  if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') {
    if (endpoints.length === 0) {
      hosts.forEach((h, i) => {
        if (typeof h === 'string' && h.includes('*')) ctx.addIssue({ code: 'custom', path: ['hosts', i], message: `resolution ${resolution} without endpoints resolves each host, and a wildcard host ${JSON.stringify(h)} cannot be resolved; list endpoints or use resolution NONE` });
      });
    }
    endpoints.forEach((e, i) => {
      if (isRecord(e) && typeof e.address === 'string' && parseIpAddress(e.address) === undefined && hostProblem(e.address, false)) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'address'], message: `${JSON.stringify(e.address)} is neither an IP address nor a host name` });
    });
  }
  const names = new Map<string, number>();
  const numbers = new Map<number, number>();
  (Array.isArray(spec.ports) ? spec.ports : []).forEach((port, i) => {
    if (!isRecord(port)) return;
    if (typeof port.name === 'string') {
      if (names.has(port.name)) ctx.addIssue({ code: 'custom', path: ['ports', i, 'name'], message: `duplicate port name ${JSON.stringify(port.name)}` });
      names.set(port.name, i);
    }
    if (typeof port.number === 'number') {
      if (numbers.has(port.number)) ctx.addIssue({ code: 'custom', path: ['ports', i, 'number'], message: `duplicate port number ${port.number}` });
      numbers.set(port.number, i);
    }
  });
  endpoints.forEach((e, i) => {
    if (!isRecord(e) || !isRecord(e.ports)) return;
    for (const name of Object.keys(e.ports)) if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'ports', name], message: `no port of this ServiceEntry is named ${JSON.stringify(name)}` });
  });
}, always);

export const ServiceEntrySchema = resourceSchema('ServiceEntry', ServiceEntrySpecSchema);
