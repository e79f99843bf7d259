// Statistics for traffic-split tests: one implementation, shared with the scenarios that judge
// the same splits on a running mesh.
export { binomialInterval, zFor } from '@skiff/scenarios';
