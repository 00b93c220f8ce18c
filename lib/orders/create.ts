/**
 * Creating an order, the purchase protocol of DESIGN.md: plan → dedup → Redis reserve (one atomic
 * script) → one MySQL transaction (order, items, status log, seat claims, conditional stock
 * update) → adopt (put the reservation back if Redis lost it meanwhile) → reply. When the MySQL
 * step fails, the compensation releases the reservation before the error goes back.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { isDbUnavailable, isDuplicateKey } from "#lib/platform/db.ts";
import { AppError, isAppError, unavailable } from "#lib/platform/errors.ts";
import { errorFields } from "#lib/platform/log.ts";
import { recordOrderEvent, recordSoldOut } from "#lib/platform/metrics.ts";
import { namingHours } from "#lib/seating/hourly.ts";
import {
  adoptReservation,
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
import { type CreateOrderInput, type OrderPlan, planOrder } from "./plan.ts";
import { isConstraintViolation, orderStatements } from "./statements.ts";

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
  const dedup = dedupKeyFor(input.idempotencyKey, ctx.config.dedupWindowSeconds, {
    ticketId: plan.facts.ticketId,
    quantity: plan.quantity,
    slots: plan.slots,
  });
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
    try {
      await insertOrder(ctx, userId, orderNo, input, plan);
    } catch (e) {
      return await compensate(ctx, userId, input, dedup, ref, e);
    }
    await adopt(ctx, userId, ref, plan, reserved.reservedAtUs);
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
  await adoptReservation(ctx, reservation, reservedAtUs).catch((e) =>
    ctx.log.warn("reservation not checked after commit", {
      orderNo: ref.orderNo,
      ...errorFields(e),
    })
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
  if (isDuplicateKey(e) && input.idempotencyKey) {
    // Redis lost the key but MySQL has the order: that order is the answer.
    const [row] = await ctx.db.rows<{ order_no: string }>(
      "SELECT order_no FROM orders WHERE user_id = ? AND idempotency_key = ?",
      [userId, input.idempotencyKey],
    ).catch(() => []);
    if (row) return row.order_no;
  }
  if (!isDbUnavailable(e)) {
    ctx.log.error("order insert failed", { error: e instanceof Error ? e.message : String(e) });
    // Not an outage (a constraint, a value that does not fit): a bug, not a reason to retry.
    return new AppError("INTERNAL", `order ${ref.orderNo} could not be saved`);
  }
  return unavailable("the database", e);
}

/**
 * The MySQL step of a create, as one transaction in one round trip: the order, its items, its
 * status log row, its seat claims and — last, so the hot tier's row lock is held only for the
 * time the server needs to commit — the stock. MySQL refuses oversell on its own: the stock
 * row's CHECK constraint (locked + sold <= total) fails the UPDATE, and nothing is committed.
 */
async function insertOrder(
  ctx: AppContext,
  userId: number,
  orderNo: string,
  input: CreateOrderInput,
  plan: OrderPlan,
): Promise<void> {
  const { facts } = plan;
  const now = ctx.now();
  const statements = orderStatements({
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
  });
  try {
    await ctx.db.atomic(statements);
  } catch (e) {
    if (isConstraintViolation(e)) {
      throw new AppError("SOLD_OUT", `tier ${facts.ticketId} is sold out`);
    }
    if (isDuplicateKey(e) && /seat_claims|PRIMARY/.test(String((e as Error).message))) {
      throw new AppError("SEAT_UNAVAILABLE", "seats not available: already in an order");
    }
    throw e;
  }
}
