/**
 * Duplicate creates. A buyer's create carries a dedup key: its Idempotency-Key (kept a day), or
 * else a fingerprint of what it asks for (kept DEDUP_WINDOW_SECONDS, so a double click makes one
 * order). reserve.lua sets the key with the order's number; a second request with the same key
 * gets that number back and waits here for the first request's order or refusal.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, type ErrorCode, invalid, unavailable } from "#lib/platform/errors.ts";
import { releaseLockScript } from "#lib/sale/calls.ts";
import { ORDER_STATUS } from "./status.ts";

/** The longest a duplicate request waits for the first one to finish. */
const DUPLICATE_WAIT_MS = 10_000;
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export interface DedupKey {
  key: string;
  ttlMs: number;
  /** From an Idempotency-Key (else a fingerprint). */
  explicit: boolean;
}

const EXPLICIT = "k:";

/** Is this dedup key (DedupKey.key) from an Idempotency-Key, not a fingerprint? */
export function isExplicitDedupKey(key: string): boolean {
  return key.startsWith(EXPLICIT);
}

/** What a create asks for, as far as its fingerprint goes. */
export interface Fingerprinted {
  ticketId: number;
  quantity: number;
  slots: string[];
}

/**
 * The create's dedup key: from its Idempotency-Key (400 unless 1-128 printable ASCII), else
 * from its fingerprint when the dedup window is on, else none.
 */
export function dedupKeyFor(
  idempotencyKey: string | undefined,
  windowSeconds: number,
  request: Fingerprinted,
): DedupKey | undefined {
  if (idempotencyKey !== undefined) {
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw invalid("Idempotency-Key", "1-128 printable ASCII characters");
    }
    return { key: `${EXPLICIT}${idempotencyKey}`, ttlMs: IDEMPOTENCY_TTL_MS, explicit: true };
  }
  const windowMs = windowSeconds * 1000;
  if (windowMs <= 0) return undefined;
  return { key: `f:${fingerprintOf(request)}`, ttlMs: windowMs, explicit: false };
}

/** The same tier, quantity and slots (in any order) give the same fingerprint. */
export function fingerprintOf(request: Fingerprinted): string {
  const text = `${request.ticketId}|${request.quantity}|${[...request.slots].sort().join(",")}`;
  return fingerprintHash(text);
}

/**
 * Two 32-bit FNV-1a hashes (different offsets) of a request's fingerprint. Not cryptographic:
 * the key is scoped to one buyer and one session for a few seconds, so a collision could only
 * merge two of that buyer's own requests; a digest through WebCrypto cost 7 % of the CPU of a
 * sold-out flood.
 */
export function fingerprintHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x0100019d);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36);
}

/** Answer of answerDuplicate: start the create over (the key was dropped). */
export const START_OVER: unique symbol = Symbol("start over");

/**
 * The reply to a create that reserve.lua found to be a duplicate of `firstOrderNo`: that order's
 * number, or START_OVER when the key no longer stands for a live order (the first request died
 * before its order reached MySQL, or an implicit duplicate's order was since cancelled or
 * expired). `attempt` counts the starts over so far.
 */
export async function answerDuplicate(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  dedup: DedupKey,
  firstOrderNo: string,
  attempt: number,
): Promise<string | typeof START_OVER> {
  const key = ctx.keys.dedup(sessionId, userId, dedup.key);
  const first = await awaitFirstOrder(ctx, userId, sessionId, firstOrderNo);
  if (first === null) {
    // The first request died before its order reached MySQL (a crash between reserve and
    // commit; reconcile released its reservation): the key is stale. Drop it if it still
    // names that order, and start over.
    if (attempt > 2) throw unavailable(`the order request ${firstOrderNo}`);
    await releaseLockScript(ctx, key, firstOrderNo);
    return START_OVER;
  }
  if (first.status === ORDER_STATUS.PENDING_PAYMENT || first.status === ORDER_STATUS.PAID) {
    return first.orderNo;
  }
  // An implicit duplicate of an order since cancelled or expired is a new purchase.
  if (dedup.explicit || attempt > 0) return first.orderNo;
  await ctx.redis.send(["DEL", key], key);
  return START_OVER;
}

/** Lets duplicates waiting on this create answer as it did, and lets a later retry start over. */
export async function recordFailedOutcome(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  key: string,
  orderNo: string,
  refusal: AppError | string,
): Promise<void> {
  const outcomeKey = ctx.keys.dedupOutcome(sessionId, orderNo);
  const dedupKey = ctx.keys.dedup(sessionId, userId, key);
  const outcome = typeof refusal === "string"
    ? { orderNo: refusal }
    : { code: refusal.code, message: refusal.message };
  try {
    await ctx.redis.send(["SET", outcomeKey, JSON.stringify(outcome), "PX", "30000"], outcomeKey);
    await ctx.redis.send(["DEL", dedupKey], dedupKey);
  } catch {
    // Redis is down too: the dedup key expires by itself; waiting duplicates time out.
  }
}

/**
 * Waits (bounded) until the first request of a duplicate pair has its order or its refusal.
 * Null when the first request is dead: no order, no outcome, and no reservation left in Redis.
 */
async function awaitFirstOrder(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  orderNo: string,
): Promise<{ orderNo: string; status: number } | null> {
  const outcomeKey = ctx.keys.dedupOutcome(sessionId, orderNo);
  const reservations = ctx.keys.reservations(sessionId);
  const deadline = Date.now() + DUPLICATE_WAIT_MS;
  for (let gone = 0;;) {
    const [row] = await ctx.db.rows<{ order_no: string; status: number }>(
      "SELECT order_no, status FROM orders WHERE order_no = ? AND user_id = ?",
      [orderNo, userId],
    );
    if (row) return { orderNo: row.order_no, status: row.status };
    const outcome = await ctx.redis.send<string | null>(["GET", outcomeKey], outcomeKey);
    if (outcome) {
      const o = JSON.parse(outcome) as { orderNo?: string; code?: ErrorCode; message?: string };
      if (o.orderNo) return await awaitFirstOrder(ctx, userId, sessionId, o.orderNo);
      throw new AppError(o.code!, o.message!);
    }
    // Reservation gone and still no row nor outcome (looked twice): nothing will ever come.
    const held = await ctx.redis.send(["HEXISTS", reservations, orderNo], reservations);
    if (Number(held) === 1) gone = 0;
    else if (++gone === 2) return null;
    else continue;
    if (Date.now() > deadline) {
      throw new AppError("CONFLICT", "an identical order request is still being processed", {
        retryAfter: 1,
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
