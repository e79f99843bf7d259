// The pieces of the snapshot configgen writes, in their input form (schema defaults may be
// left out, which keeps pushed JSON small), derived from the one schema in @skiff/api.
import type { ProxySnapshotInput } from '@skiff/api';

export type RouteConfigInput = ProxySnapshotInput['routeConfigs'][number];
export type VirtualHostInput = RouteConfigInput['virtualHosts'][number];
export type RouteInput = VirtualHostInput['routes'][number];
export type RouteMatchInput = NonNullable<RouteInput['matches']>[number];
export type HeaderMatchInput = NonNullable<RouteMatchInput['headers']>[number];
export type RouteActionInput = RouteInput['action'];
export type ForwardActionInput = Extract<RouteActionInput, { kind: 'route' }>;
export type RetryPolicyInput = NonNullable<ForwardActionInput['retries']>;
export type GatewayServerInput = NonNullable<ProxySnapshotInput['gatewayServers']>[number];
export type TcpServiceInput = NonNullable<ProxySnapshotInput['tcpServices']>[number];
export type TcpRouteInput = TcpServiceInput['routes'][number];
export type TcpMatchInput = NonNullable<TcpRouteInput['matches']>[number];
