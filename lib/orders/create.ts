/**
 * Creating an order, the purchase protocol of DESIGN.md: plan → dedup → Redis reserve (one atomic
 * script) → one MySQL transaction (order, items, status log, seat claims, buyer total,
 * conditional stock update; by default shared with the creates of the same moment, see
 * committer.ts) → adopt (put the reservation back if Redis lost it meanwhile: checked only when
 * a rebuild of the session's state may have missed the order) → reply. When the
 * MySQL step surely failed, the compensation releases the reservation before the error goes
 * back; when its outcome is unknown, nothing is released (reconcile decides later from MySQL).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { isDbUnavailable } from "#lib/platform/db.ts";
import { AppError, isAppError, unavailable } from "#lib/platform/errors.ts";
import { errorFields } from "#lib/platform/log.ts";
import { recordOrderEvent, recordSoldOut } from "#lib/platform/metrics.ts";
import { namingHours } from "#lib/seating/hourly.ts";
import {
  adoptReservation,
  knownSoldOutRefusal,
  type ReservationRef,
  type ReserveResult,
  reserveStock,
} from "#lib/sale/stock_gate.ts";
import { releaseOrCompensate } from "./compensations.ts";
import {
  answerDuplicate,
  type DedupKey,
  dedupKeyFor,
  recordFailedOutcome,
  START_OVER,
} from "./dedup.ts";
import { orderNumbers } from "./order_numbers.ts";
import { reservationHeld } from "./post_commit.ts";
import { type CreateOrderInput, type OrderPlan, planOrder } from "./plan.ts";
import { writeOrder, type WriteOutcome } from "./committer.ts";
import { createRefusalOf, type NewOrderRow } from "./statements.ts";

/** Creates an order and returns its number (the first order's number for a duplicate). */
export async function createOrder(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
): Promise<string> {
  const plan = await planOrder(ctx, input);
  return await placeOrder(ctx, userId, input, plan);
}

async function placeOrder(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
  plan: OrderPlan,
): Promise<string> {
  // The dedup key is a hash of the request: not computed for a refusal from memory that does
  // not need it.
  let dedupKey: DedupKey | undefined | null = null;
  const dedupOf = () =>
    dedupKey !== null ? dedupKey : dedupKey = dedupKeyFor(
      input.idempotencyKey,
      ctx.config.dedupWindowSeconds,
      { ticketId: plan.facts.ticketId, quantity: plan.quantity, slots: plan.slots },
    );
  const soldOut = knownSoldOutRefusal(ctx, {
    sessionId: plan.facts.sessionId,
    ticketId: plan.facts.ticketId,
    userId,
    quantity: plan.stockQuantity,
    limit: plan.facts.limitCount,
  }, { explicit: input.idempotencyKey !== undefined, key: () => dedupOf()?.key });
  if (soldOut) {
    recordSoldOut();
    throw soldOut;
  }
  const dedup = dedupOf();
  const numbers = await orderNumbers(ctx);
  for (let attempt = 0;; attempt++) {
    const orderNo = numbers.next(ctx.now());
    const reserved = await reserve(ctx, userId, orderNo, plan, dedup);
    // The number is reserved by another order (nothing was written): draw the next one.
    if (reserved.outcome === "already") continue;
    if (reserved.outcome === "duplicate") {
      const answer = await answerDuplicate(
        ctx,
        userId,
        plan.facts.sessionId,
        dedup!,
        reserved.firstOrderNo,
        attempt,
      );
      if (answer === START_OVER) continue;
      return answer;
    }
    const ref = { orderNo, sessionId: plan.facts.sessionId, ticketId: plan.facts.ticketId, userId };
    let outcome: WriteOutcome;
    try {
      outcome = await writeOrder(ctx, newOrderRow(ctx, userId, orderNo, input, plan));
    } catch (e) {
      return await compensate(ctx, userId, input, dedup, ref, e);
    }
    if (!("committed" in outcome)) {
      // Maybe committed: the reservation stays (releasing it could free the tickets of a real
      // order) until the outcome is known; a retry with the same key waits for it.
      settleWhenKnown(ctx, userId, input, dedup, ref, outcome.later);
      throw unavailable(`the outcome of order ${orderNo}`);
    }
    // The generation the reserve saw is the one the commit read: no rebuild missed this order
    // (statements.ts generationsStatement says why), so Redis still has its reservation or
    // will read it from MySQL. Otherwise ask Redis, and put it back if it was lost.
    if (reserved.generation === 0 || outcome.generation !== reserved.generation) {
      await adopt(ctx, userId, ref, plan, reserved.reservedAtUs);
    }
    recordOrderEvent("created");
    return orderNo;
  }
}

/** The Redis step: the stock, the buyer's limit, the slots and the dedup key, all or nothing. */
async function reserve(
  ctx: AppContext,
  userId: number,
  orderNo: string,
  plan: OrderPlan,
  dedup: DedupKey | undefined,
): Promise<ReserveResult> {
  const { facts } = plan;
  const call = () =>
    reserveStock(ctx, {
      orderNo,
      userId,
      sessionId: facts.sessionId,
      ticketId: facts.ticketId,
      quantity: plan.stockQuantity,
      limit: facts.limitCount,
      slots: plan.slots,
      dedupKey: dedup?.key,
      dedupTtlMs: dedup?.ttlMs ?? 0,
    });
  try {
    return await (plan.hourly ? namingHours(plan.hourly.seats, call) : call());
  } catch (e) {
    if (isAppError(e) && e.code === "SOLD_OUT") recordSoldOut();
    throw e;
  }
}

/**
 * After the commit: Redis may have lost the reservation (restart + rebuild) before it, so put
 * it back. A failure here is logged, not answered: the order is committed.
 */
async function adopt(
  ctx: AppContext,
  userId: number,
  ref: ReservationRef,
  plan: OrderPlan,
  reservedAtUs: number,
): Promise<void> {
  // Stock counted: none for an hourly booking (its slots are "seatId@hour" seat-hours).
  const quantity = plan.slots.some((s) => s.includes("@")) ? 0 : plan.quantity;
  const reservation = { ...ref, userId, quantity, slots: plan.slots };
  // Still there (the usual case): nothing to adopt.
  if (await reservationHeld(ctx, ref.sessionId, ref.orderNo)) return;
  await adoptReservation(ctx, reservation, reservedAtUs).catch((e) =>
    ctx.log.warn("reservation not checked after commit", {
      orderNo: ref.orderNo,
      ...errorFields(e),
    })
  );
}

/**
 * An unknown outcome, settled in the background: an order that never committed is compensated
 * like any failed create (its reservation given back, waiting duplicates told); a committed one
 * keeps its reservation; if it stays unknown, the reconcile job decides after its grace period.
 */
function settleWhenKnown(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
  dedup: DedupKey | undefined,
  ref: ReservationRef,
  later: Promise<boolean | undefined>,
): void {
  later.then(async (committed) => {
    if (committed !== false) return;
    await compensate(ctx, userId, input, dedup, ref, unavailable("the database")).catch(() => {
      // compensate answers by throwing the refusal: here nobody is waiting for it.
    });
  }).catch((e) =>
    ctx.log.warn("unknown order outcome not settled", { orderNo: ref.orderNo, ...errorFields(e) })
  );
}

/**
 * The MySQL step failed: tell waiting duplicates, give the reservation back (or record that it
 * must be), and answer with the refusal or the number of an order that exists after all.
 */
async function compensate(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
  dedup: DedupKey | undefined,
  ref: ReservationRef,
  e: unknown,
): Promise<string> {
  const refusal = await refusalAfterReserve(ctx, userId, input, ref, e);
  if (dedup) {
    await recordFailedOutcome(ctx, userId, ref.sessionId, dedup.key, ref.orderNo, refusal);
  }
  await releaseOrCompensate(ctx, ref);
  if (typeof refusal === "string") return refusal;
  throw refusal;
}

/** Turns a failed MySQL step into the reply: an error, or the number of an existing order. */
async function refusalAfterReserve(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
  ref: ReservationRef,
  e: unknown,
): Promise<AppError | string> {
  if (isAppError(e)) return e;
  switch (createRefusalOf(e)) {
    case "stock":
      return new AppError("SOLD_OUT", `tier ${ref.ticketId} is sold out`);
    case "buyer_limit":
      return new AppError(
        "LIMIT_EXCEEDED",
        `more tickets of tier ${ref.ticketId} than one buyer may have`,
      );
    case "seat":
      return new AppError("SEAT_UNAVAILABLE", "seats not available: already in an order");
    case "idempotency_key": {
      if (!input.idempotencyKey) break;
      // Redis lost the key but MySQL has the order: that order is the answer.
      const [row] = await ctx.db.rows<{ order_no: string }>(
        "SELECT order_no FROM orders WHERE user_id = ? AND idempotency_key = ?",
        [userId, input.idempotencyKey],
      ).catch(() => []);
      if (row) return row.order_no;
      break;
    }
  }
  if (!isDbUnavailable(e)) {
    ctx.log.error("order insert failed", { error: e instanceof Error ? e.message : String(e) });
    // Not an outage (a constraint, a value that does not fit): a bug, not a reason to retry.
    return new AppError("INTERNAL", `order ${ref.orderNo} could not be saved`);
  }
  return unavailable("the database", e);
}

/** The new order's row, as the create's transaction writes it. */
function newOrderRow(
  ctx: AppContext,
  userId: number,
  orderNo: string,
  input: CreateOrderInput,
  plan: OrderPlan,
): NewOrderRow {
  const { facts } = plan;
  const now = ctx.now();
  return {
    orderNo,
    userId,
    showId: facts.showId,
    sessionId: facts.sessionId,
    ticketId: facts.ticketId,
    quantity: plan.quantity,
    price: facts.price,
    totalAmount: plan.totalAmount,
    hourly: plan.hourly,
    expireAt: new Date(now + ctx.config.orderPaySeconds * 1000),
    contactPhone: input.contactPhone ?? null,
    remark: input.remark ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    createdAt: new Date(now),
    items: plan.items,
    slots: plan.slots,
    stockQuantity: plan.stockQuantity,
    limitCount: facts.limitCount,
  };
}
