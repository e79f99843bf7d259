// The schemas for the Istio resources Skiff reads, and a compile-time check that what they
// accept is exactly what resources.ts declares.
import type { z } from 'zod';
import type { DestinationRule, Gateway, IstioKind, ServiceEntry, VirtualService } from '../resources.js';
import type { AuthorizationPolicy, PeerAuthentication, RequestAuthentication } from '../security-resources.js';
import { DestinationRuleSchema } from './destination-rule.js';
import { GatewaySchema } from './gateway.js';
import { AuthorizationPolicySchema, PeerAuthenticationSchema, RequestAuthenticationSchema } from './security/index.js';
import { VirtualServiceSchema } from './virtual-service.js';
import { ServiceEntrySchema } from './service-entry.js';

export {
  API_VERSIONS,
  ObjectMetaSchema,
  PercentSchema,
  UNKNOWN_FIELD,
  dns1123Label,
  isDnsLabel,
  duration as durationSchema,
  hostName as hostNameSchema,
  hostProblem,
  isUnknownFieldParams,
  istioObject,
  labelMap as labelMapSchema,
  resourceSchema,
  stringMatch as stringMatchSchema,
  type UnknownFieldParams,
} from './common.js';
export * from './virtual-service.js';
export * from './destination-rule.js';
export * from './gateway.js';
export * from './service-entry.js';
export * from './security/index.js';

export const MESH_KINDS = ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'] as const satisfies readonly IstioKind[];

export const SCHEMA_BY_KIND = {
  VirtualService: VirtualServiceSchema,
  DestinationRule: DestinationRuleSchema,
  Gateway: GatewaySchema,
  ServiceEntry: ServiceEntrySchema,
  PeerAuthentication: PeerAuthenticationSchema,
  AuthorizationPolicy: AuthorizationPolicySchema,
  RequestAuthentication: RequestAuthenticationSchema,
} as const satisfies Record<IstioKind, z.ZodType>;

export function isMeshKind(kind: unknown): kind is IstioKind {
  return typeof kind === 'string' && (MESH_KINDS as readonly string[]).includes(kind);
}

// If a schema drifts from resources.ts, these fail to compile.
type Assignable<A extends B, B> = A;
type _VirtualServiceMatchesTypes = Assignable<z.output<typeof VirtualServiceSchema>, VirtualService>;
type _DestinationRuleMatchesTypes = Assignable<z.output<typeof DestinationRuleSchema>, DestinationRule>;
type _GatewayMatchesTypes = Assignable<z.output<typeof GatewaySchema>, Gateway>;
type _ServiceEntryMatchesTypes = Assignable<z.output<typeof ServiceEntrySchema>, ServiceEntry>;
type _PeerAuthenticationMatchesTypes = Assignable<z.output<typeof PeerAuthenticationSchema>, PeerAuthentication>;
type _AuthorizationPolicyMatchesTypes = Assignable<z.output<typeof AuthorizationPolicySchema>, AuthorizationPolicy>;
type _RequestAuthenticationMatchesTypes = Assignable<z.output<typeof RequestAuthenticationSchema>, RequestAuthentication>;
export * from './workload-entry.js';
