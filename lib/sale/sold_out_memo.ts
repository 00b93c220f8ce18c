/**
 * The sold-out fast path: a tier whose reserve answered "sold out, 0 left" is refused from this
 * process's memory for SOLD_OUT_CACHE_MS (default 100 ms), so a stampede on a sold-out tier
 * costs no Redis call. A release in this process (cancel, expiry, a failed create) clears it at
 * once; one in another process is seen within that time.
 *
 * Never at the cost of an idempotent answer: a create with an Idempotency-Key always asks Redis
 * (its key may name an order), and so does an implicit duplicate (same buyer and request within
 * DEDUP_WINDOW_SECONDS) of an order this process reserved. An implicit duplicate of an order
 * reserved by another instance may be answered SOLD_OUT in that short time: it creates nothing
 * either way.
 */
import type { AppContext } from "#lib/platform/context.ts";

/** Tier key → until when it is known sold out (this process's clock, ms). */
const soldOut = new Map<string, number>();
/** Dedup key of an order this process reserved → until when duplicates may come. */
const reservedHere = new Map<string, number>();
/** Dedup key of a reserve of this process still waiting for Redis → how many. */
const inFlight = new Map<string, number>();
/** Past this many remembered keys, the lapsed ones are dropped. */
const SWEEP_AT = 10_000;

export interface TierRequest {
  sessionId: number;
  ticketId: number;
  userId: number;
  /** Stock asked for (0: an hourly booking, never cached). */
  quantity: number;
  /** The request's dedup key, and whether it is an Idempotency-Key. */
  dedup?: { key: string; explicit: boolean };
}

const tierKey = (ctx: AppContext, r: TierRequest) => ctx.keys.tier(r.sessionId, r.ticketId);
const dedupKey = (ctx: AppContext, r: TierRequest, key: string) =>
  ctx.keys.dedup(r.sessionId, r.userId, key);

/** True when the request may be refused SOLD_OUT without asking Redis. */
export function knownSoldOut(ctx: AppContext, r: TierRequest): boolean {
  if (r.quantity === 0 || r.dedup?.explicit) return false;
  const key = tierKey(ctx, r);
  const until = soldOut.get(key);
  if (until === undefined) return false;
  const now = Date.now();
  if (now >= until) {
    soldOut.delete(key);
    return false;
  }
  if (r.dedup) {
    const key = dedupKey(ctx, r, r.dedup.key);
    if (inFlight.has(key)) return false;
    const dup = reservedHere.get(key);
    if (dup !== undefined && now < dup) return false;
  }
  return true;
}

/**
 * Runs the reserve of `r`: while it waits for Redis, and for the dedup window once it reserved,
 * its implicit duplicates are not refused from memory (it may be taking the last ticket).
 */
export async function reserving<T extends { outcome: string }>(
  ctx: AppContext,
  r: TierRequest,
  dedupTtlMs: number,
  call: () => Promise<T>,
): Promise<T> {
  if (!r.dedup || r.dedup.explicit || r.quantity === 0 || ctx.config.soldOutCacheMs === 0) {
    return await call();
  }
  const key = dedupKey(ctx, r, r.dedup.key);
  inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
  try {
    const reply = await call();
    if (reply.outcome === "reserved") noteReserved(key, dedupTtlMs);
    return reply;
  } finally {
    const n = inFlight.get(key)! - 1;
    if (n === 0) inFlight.delete(key);
    else inFlight.set(key, n);
  }
}

/** The reserve answered SOLD_OUT with `available` left. */
export function noteSoldOut(ctx: AppContext, r: TierRequest, available: number): void {
  const ms = ctx.config.soldOutCacheMs;
  if (ms > 0 && available <= 0 && r.quantity > 0) soldOut.set(tierKey(ctx, r), Date.now() + ms);
}

/** A reserve with this dedup key was admitted: its duplicates must reach the reserve's dedup. */
function noteReserved(key: string, ttlMs: number): void {
  const now = Date.now();
  if (reservedHere.size >= SWEEP_AT) {
    for (const [k, until] of reservedHere) if (until <= now) reservedHere.delete(k);
  }
  reservedHere.set(key, now + ttlMs);
}

/** Something of the tier was given back here: ask Redis again. */
export function forgetSoldOut(ctx: AppContext, sessionId: number, ticketId: number): void {
  soldOut.delete(ctx.keys.tier(sessionId, ticketId));
}
