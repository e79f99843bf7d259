// The small pieces every sample app shares: a request id on every request and response, an
// optional access log, and JSON bodies for 404 and errors. (The same file lives in frontend,
// reviews and ratings: apps may not import each other.)
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from '@skiff/telemetry';

/**
 * Makes sure the request has an `x-request-id` (the sidecar normally sets one; without a mesh
 * we make it here) and echoes it on the response. The id is written back into `req.headers`
 * so that trace propagation picks it up like any other incoming header.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    let id = req.headers['x-request-id'];
    if (typeof id !== 'string' || id === '') {
      id = randomUUID();
      req.headers['x-request-id'] = id;
    }
    res.setHeader('x-request-id', id);
    next();
  };
}

export function requestIdOf(req: Request): string {
  const id = req.headers['x-request-id'];
  return typeof id === 'string' ? id : '';
}

/** One line per request, only when debug logging is on: the sidecar already logs each request. */
export function accessLog(logger: Logger): RequestHandler {
  if (!logger.isLevelEnabled('debug')) return (_req, _res, next) => next();
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug({ method: req.method, path: req.originalUrl, status: res.statusCode, ms, requestId: requestIdOf(req) }, 'request');
    });
    next();
  };
}

export function notFound(service: string): RequestHandler {
  return (req, res) => {
    res.status(404).json({
      error: 'not found',
      message: `${service} has no route for ${req.method} ${req.path}`,
      requestId: requestIdOf(req),
    });
  };
}

/** Express's last handler: a JSON body instead of an HTML stack trace, and a log line for 5xx. */
export function jsonErrors(service: string, logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = httpStatusOf(err);
    const requestId = requestIdOf(req);
    if (status >= 500) {
      logger.error({ err, method: req.method, path: req.originalUrl, requestId }, 'request failed');
      res.status(status).json({ error: 'internal error', message: `${service} failed; its log has the details (request id ${requestId})`, requestId });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    res.status(status).json({ error: 'bad request', message, requestId });
  };
}

// body-parser and http-errors put the intended status on the error.
function httpStatusOf(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status <= 599) return status;
  }
  return 500;
}

/** Product ids are small non-negative integers, as in Bookinfo. */
export function parseProductId(raw: string): number | undefined {
  return /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
}
