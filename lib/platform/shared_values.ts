/**
 * Values handed as they are to many requests (a micro-cached catalog page, lib/catalog/
 * catalog_cache.ts): never changed once shared, so the envelope may write each one's JSON once
 * (http/envelope.ts) instead of once per request. Marking a value promises that nobody changes it
 * afterwards.
 */
const shared = new WeakSet<object>();

/** Marks `value` (an object or array) as shared and unchanging; returns it. */
export function markShared<T>(value: T): T {
  if (value !== null && typeof value === "object") shared.add(value);
  return value;
}

export function isShared(value: unknown): value is object {
  return value !== null && typeof value === "object" && shared.has(value);
}
