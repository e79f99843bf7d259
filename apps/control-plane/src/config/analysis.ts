// What no single file can show, checked by the control plane itself whenever the config or the
// registry changes: a subset no DestinationRule defines, a host nothing provides, a subset that
// selects no workload (istioctl analyze's IST0101 and IST0173, from @skiff/analyze). Such config
// is still pushed, as istiod pushes it, and the requests routed there fail; so each finding is
// logged once as a warning, and kept for /debug/configz and the dashboard until it is fixed.
import { analyze, servicesFromWorkloads } from '@skiff/analyze';
import { formatIssue, type ValidationIssue, type WorkloadInfo } from '@skiff/api';
import type { Logger } from '@skiff/telemetry';
import type { ConfigSet } from './config-set.js';

export class ConfigAnalysis {
  #findings: ValidationIssue[] = [];
  #logged = new Set<string>();

  constructor(private readonly logger: Logger) {}

  get findings(): readonly ValidationIssue[] {
    return this.#findings;
  }

  /**
   * `workloads` undefined: the registry is not complete yet (just after a start), so checks
   * against it stand down rather than report every service as missing.
   */
  update(config: ConfigSet, workloads: readonly WorkloadInfo[] | undefined): void {
    // About the config in force: a refused file's last good version counts, a refused file that
    // never had one provides nothing (so no check stands down because some file has errors).
    // Reported as warnings: the config is pushed either way; the message says what fails.
    const findings = analyze({ resources: config.resources, issues: [], ...(workloads ? { services: servicesFromWorkloads(workloads) } : {}) }).map((f) => ({ ...f, severity: 'warning' as const }));
    const now = new Set<string>();
    for (const finding of findings) {
      const text = formatIssue(finding);
      now.add(text);
      if (!this.#logged.has(text)) this.logger.warn({ finding }, text);
    }
    this.#logged = now;
    this.#findings = findings;
  }
}
