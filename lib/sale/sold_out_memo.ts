/**
 * The sold-out fast path: a tier whose reserve answered "sold out, 0 left" is refused from this
 * process's memory for SOLD_OUT_CACHE_MS (default 100 ms), so a stampede on a sold-out tier
 * costs no Redis call. A release in this process (cancel, expiry, a failed create) clears it at
 * once; one in another process is seen within that time and one Redis round trip.
 *
 * When the time is up, one request asks Redis again (a recheck) and the others of that moment
 * are still refused from memory until its answer renews the memo (sold out still) or clears it
 * (a reserve found stock), for RECHECK_MAX_MS at most (an answer that never comes lets the next
 * request ask). Otherwise every request arriving before the first answer went to Redis: with
 * thousands of buyers waiting on a sold-out tier, thousands of reserves every SOLD_OUT_CACHE_MS.
 *
 * Never at the cost of an idempotent answer: a create with an Idempotency-Key always asks Redis
 * (its key may name an order), and so does an implicit duplicate (same buyer and request within
 * DEDUP_WINDOW_SECONDS) of an order this process reserved. An implicit duplicate of an order
 * reserved by another instance may be answered SOLD_OUT in that short time: it creates nothing
 * either way.
 */
import type { AppContext } from "#lib/platform/context.ts";

/** What this process knows of a sold-out tier (times in ms of ctx.now()). */
interface Memo {
  /** Until when the tier is refused from memory. */
  until: number;
  /** When a request began asking Redis again, the memo having lapsed; none asks now: 0. */
  recheckSince: number;
}

/** Key prefix → session → tier → its memo. */
const soldOut = new Map<string, Map<number, Map<number, Memo>>>();
/** The longest a recheck keeps the other requests of its tier refused while it waits for Redis. */
export const RECHECK_MAX_MS = 50;
/** Dedup key of an order this process reserved → until when duplicates may come. */
const reservedHere = new Map<string, number>();
/** When the last of reservedHere lapses: past it the map is emptied at once. */
let reservedUntil = 0;
/** reservedHere's size at which the next sweep runs. */
let sweepAt = 10_000;
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
  /**
   * The request's dedup key, and whether it is an Idempotency-Key; `key` may be a function
   * (undefined: no dedup key after all), called only when the tier is known sold out and this
   * process has reserves to tell apart.
   */
  dedup?: { key: string | (() => string | undefined); explicit: boolean };
}

const dedupKey = (ctx: AppContext, r: TierRequest, key: string) =>
  ctx.keys.dedup(r.sessionId, r.userId, key);

function memoOf(ctx: AppContext, r: TierRequest): Memo | undefined {
  return soldOut.get(ctx.keys.prefix)?.get(r.sessionId)?.get(r.ticketId);
}

/**
 * The memo has lapsed at `now`: true when this request is the one to ask Redis again (no other
 * request's recheck is under way, or it has had RECHECK_MAX_MS to be answered); false while one
 * is (this request is refused from memory meanwhile).
 */
function claimRecheck(ctx: AppContext, memo: Memo, now: number): boolean {
  const wait = Math.min(RECHECK_MAX_MS, ctx.config.soldOutCacheMs);
  if (memo.recheckSince !== 0 && now - memo.recheckSince < wait) return false;
  memo.recheckSince = now;
  return true;
}

/** True when the request may be refused SOLD_OUT without asking Redis. */
export function knownSoldOut(ctx: AppContext, r: TierRequest): boolean {
  if (r.quantity === 0 || r.dedup?.explicit) return false;
  const memo = memoOf(ctx, r);
  if (memo === undefined) return false;
  const now = ctx.now();
  if (now >= memo.until && claimRecheck(ctx, memo, now)) return false;
  if (reservedHere.size > 0 && now >= reservedUntil) reservedHere.clear();
  // With no reserve of this process in flight or recent, no duplicate to tell apart: the
  // request's dedup key is not even needed.
  if (r.dedup && (inFlight.size > 0 || reservedHere.size > 0)) {
    const given = typeof r.dedup.key === "string" ? r.dedup.key : r.dedup.key();
    if (given === undefined) return true;
    const key = dedupKey(ctx, r, given);
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
  const given = typeof r.dedup.key === "string" ? r.dedup.key : r.dedup.key();
  if (given === undefined) return await call();
  const key = dedupKey(ctx, r, given);
  inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
  try {
    const reply = await call();
    if (reply.outcome === "reserved") noteReserved(key, ctx.now(), dedupTtlMs);
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
  if (r.quantity <= 0) return;
  if (ms <= 0 || available > 0) {
    // Some left (not enough for this request): the tier is not sold out for the others.
    forgetSoldOut(ctx, r.sessionId, r.ticketId);
    return;
  }
  let sessions = soldOut.get(ctx.keys.prefix);
  if (!sessions) soldOut.set(ctx.keys.prefix, sessions = new Map());
  let tiers = sessions.get(r.sessionId);
  if (!tiers) sessions.set(r.sessionId, tiers = new Map());
  tiers.set(r.ticketId, { until: ctx.now() + ms, recheckSince: 0 });
}

/** A reserve of the tier succeeded: it is not sold out (a recheck's answer, or anyone's). */
export function noteReservedStock(ctx: AppContext, r: TierRequest): void {
  if (r.quantity > 0 && memoOf(ctx, r) !== undefined) forgetSoldOut(ctx, r.sessionId, r.ticketId);
}

/** A reserve with this dedup key was admitted: its duplicates must reach the reserve's dedup. */
function noteReserved(key: string, now: number, ttlMs: number): void {
  // Lapsed keys are dropped when the map has doubled since the last sweep: a sweep that found
  // everything still live (10,000 reserves within the dedup window) must not run again at once.
  if (reservedHere.size >= sweepAt) {
    for (const [k, until] of reservedHere) if (until <= now) reservedHere.delete(k);
    sweepAt = Math.max(SWEEP_AT, reservedHere.size * 2);
  }
  reservedHere.set(key, now + ttlMs);
  reservedUntil = Math.max(reservedUntil, now + ttlMs);
}

/** Something of the tier was given back here: ask Redis again. */
export function forgetSoldOut(ctx: AppContext, sessionId: number, ticketId: number): void {
  const sessions = soldOut.get(ctx.keys.prefix);
  const tiers = sessions?.get(sessionId);
  if (!tiers?.delete(ticketId) || tiers.size > 0) return;
  sessions!.delete(sessionId);
  if (sessions!.size === 0) soldOut.delete(ctx.keys.prefix);
}
