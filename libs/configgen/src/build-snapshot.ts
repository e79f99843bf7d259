// One proxy's snapshot from scratch. The control plane, serving many proxies, should call
// prepare() once per config version and snapshotFor() per proxy instead.
import type { Loaded, WorkloadInfo } from '@skiff/api';
import { prepare, type PrepareOptions, type SnapshotResult } from './prepare.js';

export interface BuildSnapshotInput extends PrepareOptions {
  resources: readonly Loaded[];
  workloads: readonly WorkloadInfo[];
  proxy: WorkloadInfo;
  version: string;
}

export function buildSnapshot(input: BuildSnapshotInput): SnapshotResult {
  return prepare(input.resources, input.workloads, input).snapshotFor(input.proxy, input.version);
}
