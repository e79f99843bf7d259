// Tells the control plane how a scenario run is going (POST /debug/scenario), so the dashboard
// can show it live. Best effort: a control plane that cannot take the report must not stop the
// run, so failures are only said once, on stderr.
import type { ScenarioCheck, ScenarioView } from '@skiff/telemetry';

type Report = Omit<ScenarioView, 'updatedAt'>;

export class ScenarioReporter {
  readonly #url: string;
  readonly #report: Report;
  #sending: Promise<void> = Promise.resolve();
  #warned = false;

  /** `token`: the mesh token, which the control plane asks of every write. */
  constructor(controlPlane: string, name: string, summary: string, private readonly token?: string) {
    this.#url = new URL('/debug/scenario', controlPlane).toString();
    this.#report = { name, summary, state: 'running', step: { index: 0, title: 'starting' }, checks: [] };
  }

  /** A new step; `checks` carries over what is still worth seeing (a canary's last interval). */
  step(step: ScenarioView['step'], weights?: Record<string, number>, checks: ScenarioCheck[] = []): void {
    this.#report.step = step;
    this.#report.checks = checks;
    if (weights) this.#report.weights = weights;
    this.#send();
  }

  check(check: ScenarioCheck): void {
    this.#report.checks.push(check);
    this.#send();
  }

  finish(state: Exclude<ScenarioView['state'], 'running'>, verdict: string, weights?: Record<string, number>): Promise<void> {
    this.#report.state = state;
    this.#report.verdict = verdict;
    if (weights) this.#report.weights = weights;
    this.#send();
    return this.#sending;
  }

  #send(): void {
    // One at a time and in order: a late "step 1" must never overwrite "step 2".
    const body = JSON.stringify(this.#report);
    this.#sending = this.#sending.then(async () => {
      try {
        const res = await fetch(this.#url, { method: 'POST', headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) }, body, signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      } catch (error) {
        if (this.#warned) return;
        this.#warned = true;
        process.stderr.write(`skiff scenario: the dashboard will not show this run: ${this.#url} did not take its report (${error instanceof Error ? error.message : String(error)})\n`);
      }
    });
  }
}
