/**
 * The Redis admission gate of orders: reserve, adopt, release and confirm an order's tickets and
 * seats through the scripts of `lua/` (calls.ts). A session whose state Redis lost is rebuilt
 * from MySQL before the call is retried once (withBuiltSession). A tier just found sold out is
 * refused from memory for a moment (sold_out_memo.ts).
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { AppError } from "#lib/platform/errors.ts";
import {
  type AdoptInput,
  adoptScript,
  confirmScript,
  releaseScript,
  type ReservationRef,
  type ReserveInput,
  reserveScript,
} from "./calls.ts";
import { isExplicitDedupKey } from "#lib/orders/dedup.ts";
import { refusalError } from "./replies.ts";
import { withBuiltSession } from "./session_rebuild.ts";
import { writingSlots } from "./slot_writes.ts";
import {
  forgetSoldOut,
  knownSoldOut,
  noteReservedStock,
  noteSoldOut,
  reserving,
} from "./sold_out_memo.ts";

export type { ReservationRef, ReserveInput } from "./calls.ts";

export type ReserveResult =
  | { outcome: "reserved"; available: number; reservedAtUs: number; generation: number }
  | { outcome: "already" }
  | { outcome: "duplicate"; firstOrderNo: string };

/**
 * The sold-out fast path, for a create to ask before it draws an order number or builds its
 * reserve: the SOLD_OUT refusal when this process knows the tier sold out (sold_out_memo.ts
 * says when it may), else undefined. Asked once per create: the request it lets through after
 * the memo lapsed is the one that asks Redis again (reserveStock does not ask a second time).
 */
export function knownSoldOutRefusal(
  ctx: AppContext,
  input: Pick<ReserveInput, "sessionId" | "ticketId" | "userId" | "quantity" | "limit">,
  dedup: { explicit: boolean; key: () => string | undefined },
): AppError | undefined {
  if (!knownSoldOut(ctx, { ...input, dedup })) return undefined;
  // The same refusal for every request of a stampede: built once per tier (an AppError is never
  // changed once made, and its envelope is then written once too, http/envelope.ts).
  let refusal = soldOutRefusals.get(input.ticketId);
  if (!refusal) {
    if (soldOutRefusals.size >= 1024) soldOutRefusals.clear();
    refusal = refusalError({ code: "SOLD_OUT", available: 0 }, {
      kind: "order",
      ticketId: input.ticketId,
      limit: input.limit,
    });
    soldOutRefusals.set(input.ticketId, refusal);
  }
  return refusal;
}

/** Tier → its "sold out" refusal (its message names only the tier). */
const soldOutRefusals = new Map<number, AppError>();

/**
 * Reserves atomically, or throws the refusal: SOLD_OUT, LIMIT_EXCEEDED, SEAT_UNAVAILABLE (409),
 * or UNAVAILABLE (503) when Redis cannot answer or the session cannot be rebuilt now.
 */
export async function reserveStock(ctx: AppContext, input: ReserveInput): Promise<ReserveResult> {
  const context = {
    kind: "order" as const,
    ticketId: input.ticketId,
    limit: input.limit,
    // An hourly booking (no stock, seat-hours) is held to the buyer's seat-hour cap.
    seatHourCap: input.quantity === 0 ? ctx.config.hourlyMaxSeatHours : undefined,
  };
  const memo = {
    ...input,
    dedup: input.dedupKey
      ? { key: input.dedupKey, explicit: isExplicitDedupKey(input.dedupKey) }
      : undefined,
  };
  const call = { ...input, seatHourCap: context.seatHourCap };
  const reserve = () => reserveScript(ctx, call);
  const reply = await reserving(
    ctx,
    memo,
    input.dedupTtlMs,
    () => withBuiltSession(ctx, input.sessionId, () => writingSeats(ctx, input, reserve)),
  );
  if (reply.outcome === "reserved") noteReservedStock(ctx, memo);
  if (reply.outcome !== "refused") return reply;
  if (reply.refusal.code === "SOLD_OUT") noteSoldOut(ctx, memo, reply.refusal.available);
  throw refusalError(reply.refusal, context);
}

/**
 * After the order's MySQL commit: puts its reservation back when Redis lost it in between (a
 * restart, then a rebuild that read MySQL before the commit). `reservedAtUs` is Redis's time of
 * the reservation (the reserve's reply). True when something was adopted.
 */
export async function adoptReservation(
  ctx: AppContext,
  input: AdoptInput,
  reservedAtUs: number,
): Promise<boolean> {
  // Not built: a rebuild now reads MySQL with this order; one under way may not have.
  const adopt = () => adoptScript(ctx, input, reservedAtUs);
  return await withBuiltSession(
    ctx,
    input.sessionId,
    () => writingSeats(ctx, input, adopt),
    () => false,
  );
}

/** A write of an order's slots, told to the caches of live slot state (slot_writes.ts). */
const writingSeats = <T>(
  ctx: AppContext,
  order: { sessionId: number; slots: readonly string[] },
  run: () => Promise<T>,
) => writingSlots(ctx, order.sessionId, { slots: order.slots }, run);

/** Gives an unpaid order's tickets and seats back. True when something was released. */
export async function releaseReservation(ctx: AppContext, ref: ReservationRef): Promise<boolean> {
  const released = await writingSlots(
    ctx,
    ref.sessionId,
    { ticketId: ref.ticketId },
    () => releaseScript(ctx, ref),
  );
  if (released) forgetSoldOut(ctx, ref.sessionId, ref.ticketId);
  return released;
}

/** Moves a paid order's tickets from locked to sold. True when something changed. */
export async function confirmReservation(ctx: AppContext, ref: ReservationRef): Promise<boolean> {
  return await writingSlots(
    ctx,
    ref.sessionId,
    { ticketId: ref.ticketId },
    () => confirmScript(ctx, ref),
  );
}

/** The Redis view of a tier, or null when the session's state is not built. */
export async function readTierCounters(
  ctx: AppContext,
  sessionId: number,
  ticketId: number,
): Promise<{ total: number; locked: number; sold: number } | null> {
  const key = ctx.keys.tier(sessionId, ticketId);
  const values = await ctx.redis.send<(string | null)[]>(
    ["HMGET", key, "total", "locked", "sold"],
    key,
  );
  if (values[0] === null) return null;
  const [total, locked, sold] = values.map(Number);
  return { total, locked, sold };
}
