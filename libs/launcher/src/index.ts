// @skiff/launcher: runs Skiff's processes on one machine (`skiff up`, the test harness).
//
//   const supervisor = new Supervisor({ prefixOutput: true });
//   installSignalHandlers(supervisor);
//   await supervisor.startAll([controlPlane, [reviewsV1, reviewsV2], gateway]);
//
// Children call childLifecycle({ close }) in their main so they exit with their parent.
export { applyConfigFiles, type AppliedConfig, type ConfigTarget } from './config-in-force.js';
export { childLifecycle, type ChildLifecycle, type ChildLifecycleOptions } from './child-lifecycle.js';
export { freePort, freePorts } from './free-port.js';
export { procStatFields } from './pid-file.js';
export { ManagedProcess, type OutputListener, type OutputStream } from './managed-process.js';
export { describeExit, type ExitStatus, type ProcessSpec, type Readiness } from './process-spec.js';
export { installSignalHandlers, type SignalHandlerOptions } from './signal-handlers.js';
export { ProcessStartError, type StartFailure } from './start-error.js';
export {
  DEFAULT_RESTART_POLICY,
  Supervisor,
  type RestartPolicy,
  type StartAllOptions,
  type StartPlan,
  type StopOptions,
  type SupervisorEvents,
  type SupervisorOptions,
  type UnexpectedExitHandler,
} from './supervisor.js';
export * from './mesh-plan.js';
export * from './mesh-state.js';
export * from './sidecar-spec.js';
export * from './mesh-info.js';
export * from './configured-workloads.js';
export { connectProblem } from './readiness.js';
