// Failure and latency that reviews and ratings can be told to show, for the resilience scenarios
// and labs (retries, outlier detection, timeouts): set at start by FAIL_PERCENT /
// EXTRA_LATENCY_MS and changed at run time by POST /admin/behaviour on the demo-controls port.
// Shared by the reviews and ratings samples (apps may not import each other).
import express from 'express';
import type { Router } from 'express';

export interface Behaviour {
  /** Share of requests, 0-100, that fail (reviews: HTTP 500; ratings: HTTP 503, gRPC UNAVAILABLE). */
  failPercent: number;
  /** Added to every answer, in ms. */
  extraLatencyMs: number;
}

export const MAX_EXTRA_LATENCY_MS = 600_000;

/** `random` returns [0, 1), like Math.random; passed in so tests can decide. */
export function shouldFail(behaviour: Behaviour, random: () => number): boolean {
  return behaviour.failPercent > 0 && random() * 100 < behaviour.failPercent;
}

/** Applies a partial update from the admin endpoint; returns the new behaviour or what is wrong. */
export function applyBehaviourUpdate(current: Behaviour, update: unknown): { behaviour: Behaviour } | { error: string } {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    return { error: 'send a JSON object like {"failPercent": 50, "extraLatencyMs": 200} with content-type application/json' };
  }
  const unknown = Object.keys(update).filter((key) => key !== 'failPercent' && key !== 'extraLatencyMs');
  if (unknown.length > 0) return { error: `unknown field(s) ${unknown.join(', ')}; the fields are failPercent and extraLatencyMs` };
  const { failPercent = current.failPercent, extraLatencyMs = current.extraLatencyMs } = update as Record<string, unknown>;
  if (typeof failPercent !== 'number' || !(failPercent >= 0 && failPercent <= 100)) {
    return { error: `failPercent must be a number from 0 to 100, got ${JSON.stringify(failPercent)}` };
  }
  if (typeof extraLatencyMs !== 'number' || !(extraLatencyMs >= 0 && extraLatencyMs <= MAX_EXTRA_LATENCY_MS)) {
    return { error: `extraLatencyMs must be a number from 0 to ${MAX_EXTRA_LATENCY_MS}, got ${JSON.stringify(extraLatencyMs)}` };
  }
  return { behaviour: { failPercent, extraLatencyMs } };
}

/** The behaviour in force, and GET/POST /admin/behaviour to read and change it. */
export function createBehaviourControl(initial: Behaviour, onChange: (behaviour: Behaviour) => void = () => undefined): { current: () => Behaviour; routes: Router } {
  let behaviour = initial;
  const routes = express.Router();
  routes.get('/admin/behaviour', (_req, res) => {
    res.json(behaviour);
  });
  routes.post('/admin/behaviour', express.json(), (req, res) => {
    const result = applyBehaviourUpdate(behaviour, req.body);
    if ('error' in result) {
      res.status(400).json({ error: 'bad request', message: result.error });
      return;
    }
    behaviour = result.behaviour;
    onChange(behaviour);
    res.json(behaviour);
  });
  return { current: () => behaviour, routes };
}
