// Leader election on a coordination.k8s.io/v1 Lease, decided as client-go's leaderelection does,
// with no I/O: given the Lease as read (or none), who we are and the time, what to write.
// @kubernetes/client-node has no leader election, hence this small hand-written one.

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | Date | null;
  renewTime?: string | Date | null;
  leaseTransitions?: number | null;
}

export type LeaseDecision =
  | { action: 'create'; spec: LeaseSpec }
  | { action: 'renew'; spec: LeaseSpec }
  | { action: 'take-over'; spec: LeaseSpec; from: string }
  | { action: 'follow'; holder: string; expiresAt: Date };

const time = (t: string | Date | null | undefined) => (t ? new Date(t).getTime() : 0);

export function decideLease(lease: LeaseSpec | undefined, me: string, now: Date, leaseDurationSeconds: number): LeaseDecision {
  const fresh = (transitions: number): LeaseSpec => ({ holderIdentity: me, leaseDurationSeconds, acquireTime: now.toISOString(), renewTime: now.toISOString(), leaseTransitions: transitions });
  if (!lease) return { action: 'create', spec: fresh(0) };
  const holder = lease.holderIdentity ?? '';
  if (holder === me) return { action: 'renew', spec: { ...lease, holderIdentity: me, leaseDurationSeconds, renewTime: now.toISOString() } };
  const expiresAt = new Date(time(lease.renewTime ?? lease.acquireTime) + (lease.leaseDurationSeconds ?? leaseDurationSeconds) * 1000);
  // An empty holder is a released lease: anyone may take it at once.
  if (holder === '' || expiresAt.getTime() <= now.getTime()) return { action: 'take-over', spec: fresh((lease.leaseTransitions ?? 0) + 1), from: holder };
  return { action: 'follow', holder, expiresAt };
}
