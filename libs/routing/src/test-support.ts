// Helpers shared by this library's tests (not exported from index.ts).
import { RouteConfigSchema, type RouteConfig } from '@skiff/api';
import type { RouteRequest } from './request.js';

/** Builds a RouteConfig through the real schema, so fixtures get its defaults and are valid. */
export function routeConfig(input: unknown): RouteConfig {
  return RouteConfigSchema.parse(input);
}

/** A GET / to "reviews:9080" unless overridden. */
export function request(overrides: Partial<RouteRequest> = {}): RouteRequest {
  return { method: 'GET', authority: 'reviews:9080', path: '/', headers: {}, ...overrides };
}

/** mulberry32: a tiny seeded PRNG returning numbers in [0, 1), so statistical tests are repeatable. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
