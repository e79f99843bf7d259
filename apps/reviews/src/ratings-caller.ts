// How reviews v2 asks ratings for stars: over gRPC (GetRatings, the sample's default) or over
// HTTP/JSON (GET /ratings/{id}). Either way the answer is the stars or why there are none, and a
// call that goes through the sidecar carries the service's name as its authority.
import * as grpc from '@grpc/grpc-js';
import type { Dispatcher } from 'undici';
import { grpcToHttpStatus } from '@skiff/api';
import { ratingsClient, type RatingsClient } from '@skiff/sample-kit';
import { getJson } from './upstream.js';

export type RatingsProtocol = 'grpc' | 'http';
export const RATINGS_PROTOCOLS: readonly RatingsProtocol[] = ['grpc', 'http'];

export type RatingsResult = { ok: true; ratings: Record<string, number> } | { ok: false; status: number; message: string };

export interface RatingsCaller {
  get(id: number, headers: Record<string, string>): Promise<RatingsResult>;
  close(): void;
}

export function httpRatingsCaller(ratingsUrl: string, dispatcher: Dispatcher, timeoutMs: number): RatingsCaller {
  return {
    async get(id, headers) {
      const result = await getJson(dispatcher, `${ratingsUrl}/ratings/${id}`, headers, timeoutMs);
      if (!result.ok) return result;
      const ratings = readRatings(result.body);
      return ratings ? { ok: true, ratings } : { ok: false, status: 502, message: 'ratings answered without a "ratings" object of numbers' };
    },
    close: () => undefined,
  };
}

/**
 * gRPC to `ratingsUrl`'s host and port; with `outboundProxy` (the sidecar's outbound listener)
 * the channel connects to the sidecar and names ratings as the :authority, which is how the
 * sidecar routes it (the way a grpc-js app addresses its sidecar in explicit-proxy mode). A
 * failed call's status is given as the HTTP status it stands for (UNAVAILABLE 503,
 * DEADLINE_EXCEEDED 504, …), as the HTTP caller gives ratings' own.
 */
export function grpcRatingsCaller(ratingsUrl: string, outboundProxy: string | undefined, timeoutMs: number): RatingsCaller {
  const authority = new URL(ratingsUrl).host || 'ratings:9080';
  const target = outboundProxy ? new URL(outboundProxy).host : authority;
  let client: RatingsClient | undefined;
  return {
    get(id, headers) {
      client ??= ratingsClient(target, outboundProxy ? { authority } : {});
      const metadata = new grpc.Metadata();
      for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
      return new Promise((resolve) => {
        (client as RatingsClient).getRatings({ productId: id }, metadata, { deadline: Date.now() + timeoutMs }, (error, response) => {
          if (error) {
            return resolve({ ok: false, status: grpcToHttpStatus(error.code), message: `gRPC GetRatings(${id}) to ${authority} failed: ${grpc.status[error.code] ?? error.code} ${error.details}` });
          }
          const ratings = readRatings(response);
          resolve(ratings ? { ok: true, ratings } : { ok: false, status: 502, message: 'ratings answered GetRatings without ratings' });
        });
      });
    },
    close: () => client?.close(),
  };
}

function readRatings(body: unknown): Record<string, number> | undefined {
  const ratings = (body as { ratings?: unknown } | null | undefined)?.ratings;
  if (typeof ratings !== 'object' || ratings === null) return undefined;
  const out: Record<string, number> = {};
  for (const [reviewer, stars] of Object.entries(ratings)) {
    if (typeof stars === 'number') out[reviewer] = stars;
  }
  return out;
}
