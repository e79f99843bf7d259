// The scenario a `skiff scenario run` reports (POST /debug/scenario on the monitoring port): kept
// as the newest report and published to the dashboard's event stream. A report is checked before
// it is shown, since anyone who can reach the port can send one; a bad one is refused with why.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { DashboardEvents, ScenarioView } from '@skiff/telemetry';
import type { EventStream } from './event-stream.js';

const text = (max: number) => z.string().max(max);

const ScenarioReport = z
  .object({
    name: text(64).min(1),
    summary: text(500),
    state: z.enum(['running', 'passed', 'failed', 'interrupted']),
    step: z.object({ index: z.number().int().min(0), of: z.number().int().min(1).optional(), title: text(300), explain: text(1000).optional() }).strict(),
    weights: z.record(text(64), z.number().min(0).max(100)).optional(),
    checks: z.array(z.object({ name: text(300), ok: z.boolean().optional(), detail: text(1000) }).strict()).max(50),
    verdict: text(500).optional(),
  })
  .strict();

export type ScenarioReport = Omit<ScenarioView, 'updatedAt'>;

/** The largest report accepted, in bytes: a step with 50 long checks fits many times over. */
export const MAX_SCENARIO_REPORT_BYTES = 64 * 1024;

export function parseScenarioReport(body: unknown): { report: ScenarioReport } | { error: string } {
  const parsed = ScenarioReport.safeParse(body);
  if (parsed.success) return { report: parsed.data as ScenarioReport };
  const issue = parsed.error.issues[0];
  return { error: `${issue?.path.join('.') || 'report'}: ${issue?.message ?? 'invalid'}` };
}

export class ScenarioBoard {
  #current: ScenarioView | null = null;

  constructor(
    private readonly events: EventStream<DashboardEvents>,
    private readonly now: () => Date = () => new Date(),
  ) {
    events.publish('scenario', null);
  }

  get current(): ScenarioView | null {
    return this.#current;
  }

  report(report: ScenarioReport): ScenarioView {
    this.#current = { ...report, updatedAt: this.now().toISOString() };
    this.events.publish('scenario', this.#current);
    return this.#current;
  }
}

/** POST /debug/scenario (a report, answered with what is shown) and GET (the newest report, or null). */
export function handleScenarioRequest(board: ScenarioBoard, req: IncomingMessage, res: ServerResponse): void {
  const reply = (status: number, body: unknown) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  };
  if (req.method === 'GET') return reply(200, board.current);
  if (req.method !== 'POST') return reply(405, { error: `${req.method}: GET the scenario shown, or POST a report (JSON) as skiff scenario run does` });
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_SCENARIO_REPORT_BYTES) {
      reply(413, { error: `a scenario report larger than ${MAX_SCENARIO_REPORT_BYTES} bytes` });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      return reply(400, { error: `the report is not JSON: ${error instanceof Error ? error.message : String(error)}` });
    }
    const parsed = parseScenarioReport(body);
    if ('error' in parsed) return reply(400, { error: `bad scenario report: ${parsed.error}` });
    reply(200, board.report(parsed.report));
  });
}
