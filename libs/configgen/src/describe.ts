// How warnings name a resource: kind, namespace/name and where it was written, so a user can
// jump straight to the file.
import type { Loaded } from '@skiff/api';

export function resourceKey(resource: Loaded): string {
  return `${resource.metadata.namespace}/${resource.metadata.name}`;
}

export function describeResource(resource: Loaded): string {
  return `${resource.kind} ${resourceKey(resource)} (${resource.source.file}:${resource.source.line})`;
}
