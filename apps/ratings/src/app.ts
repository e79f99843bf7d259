// ratings: the leaf of the Bookinfo call graph. Answers the same stars for every product, so
// tests and demos can tell exactly what a caller should show.
import express from 'express';
import { pino } from 'pino';
import type { Logger } from '@skiff/telemetry';
import { createRequestStats } from '@skiff/sample-kit';
import { accessLog, jsonErrors, notFound, parseProductId, requestId, requestIdOf } from './http-basics.js';

export interface RatingsAppOptions {
  /** Defaults to a silent logger, so a test does not have to pass one. */
  logger?: Logger;
}

export const RATINGS: Readonly<Record<string, number>> = Object.freeze({ Reviewer1: 5, Reviewer2: 4 });

/** The app that serves traffic, and its demo controls (served on their own loopback port: see @skiff/sample-kit's admin-server). */
export interface RatingsApps {
  app: express.Application;
  admin: express.Application;
}

export function createApp(options: RatingsAppOptions = {}): RatingsApps {
  const logger = options.logger ?? pino({ level: 'silent' });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const stats = createRequestStats();
  app.use(stats.count, requestId(), accessLog(logger));
  const admin = express();
  admin.disable('x-powered-by');
  admin.use(stats.routes);
  admin.use(notFound('ratings admin'));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'ratings' });
  });

  app.get('/ratings/:id', (req, res) => {
    const id = parseProductId(req.params.id);
    if (id === undefined) {
      res.status(400).json({ error: 'bad request', message: `product id must be a non-negative integer, got "${req.params.id}"`, requestId: requestIdOf(req) });
      return;
    }
    res.json({ id, ratings: RATINGS });
  });

  app.use(notFound('ratings'));
  app.use(jsonErrors('ratings', logger));
  return { app, admin };
}
