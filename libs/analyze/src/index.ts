// @skiff/analyze: cross-resource checks over Istio config, like `istioctl analyze`. Pure: the
// caller reads the files and the registry; this only looks at what it is given.
export { analyze, type AnalyzeInput } from './analyze.js';
export { CODES, type AnalysisCode, type CodeName } from './codes.js';
export type { KnownService } from './context.js';
export { servicesFromWorkloads } from './services.js';
