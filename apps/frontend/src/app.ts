// frontend: Bookinfo's product page. Calls reviews (which may call ratings) and shows which
// version answered, so routing rules are visible in a browser. A failing reviews service never
// breaks the page: it says so instead.
import express from 'express';
import { pino } from 'pino';
import type { Dispatcher } from 'undici';
import type { Logger } from '@skiff/telemetry';
import { accessLog, jsonErrors, notFound, parseProductId, requestId, requestIdOf } from './http-basics.js';
import { loadProduct, productJson, type ProductView, type ReviewsClient } from './product.js';
import { renderProductPage } from './product-page.js';
import { createOutboundDispatcher } from './upstream.js';
import { isValidUser, resolveUser, USER_COOKIE } from './user.js';

export interface FrontendAppOptions {
  /** Base URL of reviews. Default http://reviews:9080, a name the sidecar resolves. */
  reviewsUrl?: string;
  /** The keep-alive pool for calls to reviews; default a direct one. See createOutboundDispatcher. */
  dispatcher?: Dispatcher;
  /** Default 3 s, like Bookinfo's productpage (shorter than reviews waits for ratings). */
  reviewsTimeoutMs?: number;
  /** Default silent. */
  logger?: Logger;
}

export const DEFAULT_REVIEWS_URL = 'http://reviews:9080';

export function createApp(options: FrontendAppOptions = {}): express.Application {
  const client: ReviewsClient = {
    reviewsUrl: options.reviewsUrl ?? DEFAULT_REVIEWS_URL,
    dispatcher: options.dispatcher ?? createOutboundDispatcher(),
    timeoutMs: options.reviewsTimeoutMs ?? 3_000,
  };
  const logger = options.logger ?? pino({ level: 'silent' });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId(), accessLog(logger));

  const load = async (req: express.Request, id: number): Promise<ProductView> => {
    const view = await loadProduct(client, id, req.headers, resolveUser(req));
    if (!view.reviews.ok) logger.warn({ requestId: view.requestId, status: view.reviews.status, message: view.reviews.message }, 'reviews unavailable');
    return view;
  };
  const badId = (req: express.Request, res: express.Response, raw: string): void => {
    res.status(400).json({ error: 'bad request', message: `product id must be a non-negative integer, got "${raw}"`, requestId: requestIdOf(req) });
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'frontend' });
  });

  // `/productpage` is Bookinfo's path, so Istio's bookinfo-gateway.yaml works unchanged.
  app.get(['/', '/productpage'], async (req, res) => {
    const raw = typeof req.query.id === 'string' ? req.query.id : '0';
    const id = parseProductId(raw);
    if (id === undefined) return badId(req, res, raw);
    const view = await load(req, id);
    res.status(200).set('cache-control', 'no-store').type('html').send(renderProductPage(view));
  });

  app.get('/api/product/:id', async (req, res) => {
    const id = parseProductId(req.params.id);
    if (id === undefined) return badId(req, res, req.params.id);
    const { status, body } = productJson(await load(req, id));
    res.status(status).json(body);
  });

  // Bookinfo's sign-in: remembers the user in a cookie, which becomes `end-user` on calls.
  app.get('/login', (req, res) => {
    const user = req.query.user;
    if (typeof user !== 'string' || !isValidUser(user)) {
      res.status(400).json({ error: 'bad request', message: 'user must be 1-64 letters, digits or . _ @ + -, e.g. /login?user=jason', requestId: requestIdOf(req) });
      return;
    }
    res.cookie(USER_COOKIE, user, { path: '/', httpOnly: true, sameSite: 'lax' }).redirect(303, '/');
  });
  app.get('/logout', (_req, res) => {
    res.clearCookie(USER_COOKIE, { path: '/' }).redirect(303, '/');
  });

  app.use(notFound('frontend'));
  app.use(jsonErrors('frontend', logger));
  return app;
}
