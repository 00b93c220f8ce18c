import assert from "node:assert/strict";
import { contextCache, SWEEP_AT } from "#lib/platform/context_cache.ts";
import type { AppContext } from "#lib/platform/context.ts";

Deno.test("contextCache: expired entries are swept before the map grows past SWEEP_AT", async () => {
  const ctx = {} as AppContext;
  // A lifetime of 0 ms: every entry is expired as soon as it is stored.
  const cache = contextCache<number, number>(0);
  for (let i = 0; i < SWEEP_AT; i++) await cache.get(ctx, i, () => Promise.resolve(i));
  assert.equal(cache.size(ctx), SWEEP_AT);
  await cache.get(ctx, SWEEP_AT, () => Promise.resolve(0));
  assert.equal(cache.size(ctx), 1);
});

Deno.test("contextCache: concurrent misses share one load; a failed load is forgotten", async () => {
  const ctx = {} as AppContext;
  const cache = contextCache<string, number>(60_000);
  let loads = 0;
  const load = () => Promise.resolve(++loads);
  const [a, b] = await Promise.all([cache.get(ctx, "k", load), cache.get(ctx, "k", load)]);
  assert.deepEqual([a, b, loads], [1, 1, 1]);
  await assert.rejects(cache.get(ctx, "bad", () => Promise.reject(new Error("no"))));
  await Promise.resolve();
  assert.equal(await cache.get(ctx, "bad", () => Promise.resolve(7)), 7);
});

Deno.test("contextCache: a lifetime read from the context applies to that context", async () => {
  const [kept, dropped] = [{} as AppContext, {} as AppContext];
  const cache = contextCache<string, number>((ctx) => ctx === kept ? 60_000 : 0);
  let loads = 0;
  const load = () => Promise.resolve(++loads);
  for (const ctx of [kept, kept, dropped, dropped]) await cache.get(ctx, "k", load);
  assert.equal(loads, 3);
});

Deno.test("contextCache: a failed load forgotten before it failed leaves the newer one", async () => {
  const ctx = {} as AppContext;
  const cache = contextCache<string, number>(60_000);
  let fail!: (e: Error) => void;
  const stale = cache.get(ctx, "k", () => new Promise((_, reject) => fail = reject));
  cache.forget(ctx);
  assert.equal(await cache.get(ctx, "k", () => Promise.resolve(2)), 2);
  fail(new Error("gone"));
  await assert.rejects(stale);
  assert.equal(await cache.get(ctx, "k", () => Promise.resolve(3)), 2);
});
