// One structured logger for every Skiff process: JSON lines on stdout (pino), so the launcher,
// `docker compose logs` and kubectl all show the same thing. SKIFF_LOG_LEVEL overrides the level.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(component: string, bindings: Record<string, unknown> = {}, options: { level?: string } = {}): Logger {
  return pino({
    level: options.level ?? process.env.SKIFF_LOG_LEVEL ?? 'info',
    base: { component, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
