/**
 * The public catalog (show lists, a show with its sessions, one session) kept in this process
 * for CATALOG_CACHE_MS, so a flash crowd reloading the same few pages costs one query set per
 * page per lifetime rather than one per request. Every catalog write of this process (a show,
 * session, tier or seat area created, changed or deleted) forgets all of it at once; other
 * processes' writes are seen within the lifetime. Seat counts shown with sessions move with
 * every order and are not forgotten on orders: they may lag by up to the lifetime.
 *
 * Values are shared by every request that reads them: callers copy, never change them (they are
 * marked shared, and the envelope writes each one's JSON once).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { contextCache } from "#lib/platform/context_cache.ts";
import { markShared } from "#lib/platform/shared_values.ts";

export interface CatalogCache<K, V> {
  /** The value of `key`, loaded by `load` when not held; with CATALOG_CACHE_MS=0 always loaded. */
  get(ctx: AppContext, key: K, load: () => Promise<V>): Promise<V>;
}

const forgetters: ((ctx: AppContext) => void)[] = [];

/** One kind of catalog read, cleared with the others by forgetCatalog. */
export function catalogCache<K, V>(): CatalogCache<K, V> {
  const cache = contextCache<K, V>((ctx) => ctx.config.catalogCacheMs);
  forgetters.push((ctx) => cache.forget(ctx));
  return {
    get: (ctx, key, load) =>
      ctx.config.catalogCacheMs === 0 ? load() : cache.get(ctx, key, () => load().then(markShared)),
  };
}

/** After a catalog write: this process's next reads ask MySQL. */
export function forgetCatalog(ctx: AppContext): void {
  for (const forget of forgetters) forget(ctx);
}
