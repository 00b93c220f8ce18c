/**
 * A short-lived read-through cache, one per context (tests run several services — several
 * databases — in one process). Concurrent misses of one key share one load, so a cold key under
 * a flash crowd costs one query; a failed load is forgotten at once.
 */
import type { AppContext } from "./context.ts";

export interface ContextCache<K, V> {
  get(ctx: AppContext, key: K, load: () => Promise<V>): Promise<V>;
  /** Drops one key, or every key of the context. */
  forget(ctx: AppContext, key?: K): void;
  /** Entries held for the context, expired ones included until a sweep. */
  size(ctx: AppContext): number;
}

/** Size past which a miss first drops the expired entries. */
export const SWEEP_AT = 1024;

function sweep<K>(cache: Map<K, { until: number }>, now: number): void {
  for (const [key, entry] of cache) if (entry.until <= now) cache.delete(key);
}

/**
 * `ttlMs` is a number, or read from the context when it is a setting (a test's contexts in one
 * process may each have their own).
 */
export function contextCache<K, V>(
  ttlMs: number | ((ctx: AppContext) => number),
): ContextCache<K, V> {
  const ttlOf = typeof ttlMs === "number" ? () => ttlMs : ttlMs;
  const caches = new WeakMap<AppContext, Map<K, { value: Promise<V>; until: number }>>();
  const cacheOf = (ctx: AppContext) => {
    let cache = caches.get(ctx);
    if (!cache) caches.set(ctx, cache = new Map());
    return cache;
  };
  return {
    get(ctx, key, load) {
      const cache = cacheOf(ctx);
      const hit = cache.get(key);
      const now = Date.now();
      if (hit && hit.until > now) return hit.value;
      // Each miss may add a key (ids come from clients): expired entries go before the map grows.
      if (!hit && cache.size >= SWEEP_AT) sweep(cache, now);
      const value = load();
      const entry = { value, until: now + ttlOf(ctx) };
      cache.set(key, entry);
      // Only this entry: a newer load of the key (after a forget) stays.
      value.catch(() => {
        if (cache.get(key) === entry) cache.delete(key);
      });
      return value;
    },
    size: (ctx) => cacheOf(ctx).size,
    forget(ctx, key) {
      if (key === undefined) cacheOf(ctx).clear();
      else cacheOf(ctx).delete(key);
    },
  };
}
