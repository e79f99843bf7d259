// One product with its reviews: what both the HTML page and /api/product show.
import type { Dispatcher } from 'undici';
import { pickPropagatedHeaders } from '@skiff/telemetry';
import { getJson } from './upstream.js';

const TITLES: Readonly<Record<number, string>> = { 0: 'The Comedy of Errors', 1: 'Hamlet', 2: 'Twelfth Night' };

export function titleOf(id: number): string {
  return TITLES[id] ?? `Book ${id}`;
}

export interface ReviewItem {
  reviewer: string;
  text: string;
  stars?: number;
  color?: string;
}

export type ReviewsOutcome =
  | {
      ok: true;
      /** Which reviews version answered: from its body, else its x-skiff-version header. */
      version: string;
      /** The reviews service's JSON, passed on as is. */
      body: unknown;
      items: ReviewItem[];
      ratingsError?: { status?: number; message?: string };
    }
  | { ok: false; status: number; message: string };

export interface ProductView {
  id: number;
  title: string;
  requestId: string;
  user: string | undefined;
  reviews: ReviewsOutcome;
}

export interface ReviewsClient {
  reviewsUrl: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
}

/**
 * Asks reviews for product `id`, copying the trace headers of the incoming request and, when
 * the user is known, sending it as `end-user` (replacing any incoming one, which resolveUser
 * already took into account).
 */
export async function loadProduct(
  client: ReviewsClient,
  id: number,
  incoming: Readonly<Record<string, string | readonly string[] | undefined>>,
  user: string | undefined,
): Promise<ProductView> {
  const headers = pickPropagatedHeaders(incoming);
  delete headers['end-user'];
  if (user !== undefined) headers['end-user'] = user;
  const result = await getJson(client.dispatcher, `${client.reviewsUrl}/reviews/${id}`, headers, client.timeoutMs);
  const view = { id, title: titleOf(id), requestId: headers['x-request-id'] ?? '', user };
  if (!result.ok) return { ...view, reviews: result };
  const body = result.body as { version?: unknown; reviews?: unknown; ratingsError?: unknown } | null;
  const header = result.headers['x-skiff-version'];
  const version = typeof body?.version === 'string' ? body.version : typeof header === 'string' ? header : 'unknown';
  const ratingsError = typeof body?.ratingsError === 'object' && body.ratingsError !== null ? (body.ratingsError as { status?: number; message?: string }) : undefined;
  return { ...view, reviews: { ok: true, version, body: result.body, items: readItems(body?.reviews), ...(ratingsError ? { ratingsError } : {}) } };
}

// Only what the page can show safely; anything else in the reviews JSON is ignored here.
function readItems(reviews: unknown): ReviewItem[] {
  if (!Array.isArray(reviews)) return [];
  const items: ReviewItem[] = [];
  for (const review of reviews as unknown[]) {
    const r = review as { reviewer?: unknown; text?: unknown; rating?: { stars?: unknown; color?: unknown } } | null;
    if (typeof r?.reviewer !== 'string' || typeof r.text !== 'string') continue;
    const item: ReviewItem = { reviewer: r.reviewer, text: r.text };
    if (typeof r.rating?.stars === 'number') item.stars = r.rating.stars;
    if (typeof r.rating?.color === 'string') item.color = r.rating.color;
    items.push(item);
  }
  return items;
}

/** What GET /api/product/{id} answers for a view: the product and its reviews, or 502 naming why reviews are missing. */
export function productJson(view: ProductView): { status: 200 | 502; body: Record<string, unknown> } {
  const { id, title, requestId, reviews } = view;
  if (!reviews.ok) {
    return { status: 502, body: { error: 'reviews unavailable', message: reviews.message, id, title, requestId, upstream: { service: 'reviews', status: reviews.status } } };
  }
  return { status: 200, body: { id, title, reviews: reviews.body, reviewsVersion: reviews.version, requestId } };
}
