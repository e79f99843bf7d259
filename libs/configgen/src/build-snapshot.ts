// One proxy's snapshot from scratch. The control plane, serving many proxies, should call
// prepare() once per config version and snapshotFor() per proxy instead.
import type { Loaded, WorkloadInfo } from '@skiff/api';
import { prepare, type SnapshotResult } from './prepare.js';

export interface BuildSnapshotInput {
  resources: readonly Loaded[];
  workloads: readonly WorkloadInfo[];
  proxy: WorkloadInfo;
  version: string;
}

export function buildSnapshot(input: BuildSnapshotInput): SnapshotResult {
  return prepare(input.resources, input.workloads).snapshotFor(input.proxy, input.version);
}
