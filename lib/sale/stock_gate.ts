/**
 * The Redis admission gate: typed calls of the reserve, release and confirm scripts of `lua/`
 * with their keys laid out in the session's hash tag. A session whose state Redis lost is
 * rebuilt from MySQL here, before the call is retried once.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, unavailable } from "#lib/platform/errors.ts";
import { rebuildSession } from "./session_rebuild.ts";

export interface ReserveInput {
  orderNo: string;
  userId: number;
  sessionId: number;
  ticketId: number;
  /** Tickets counted against stock and limit (0 for an hourly booking). */
  quantity: number;
  limit: number;
  /** Seat ids, or "seatId@hour" seat-hours. */
  slots: string[];
  /** Name of the buyer's dedup key (an Idempotency-Key or a request fingerprint), if any. */
  dedupKey?: string;
  dedupTtlMs: number;
}

export type ReserveResult =
  | { outcome: "reserved"; available: number }
  | { outcome: "already" }
  | { outcome: "duplicate"; firstOrderNo: string };

/** Where a reservation lives: enough to release or confirm it. */
export interface ReservationRef {
  orderNo: string;
  sessionId: number;
  ticketId: number;
}

/**
 * Reserves atomically, or throws the refusal: SOLD_OUT, LIMIT_EXCEEDED, SEAT_UNAVAILABLE (409),
 * or UNAVAILABLE (503) when Redis cannot answer or the session cannot be rebuilt now.
 */
export async function reserveStock(ctx: AppContext, input: ReserveInput): Promise<ReserveResult> {
  const k = ctx.keys;
  const s = input.sessionId;
  const keys = [
    k.sessionReady(s),
    k.tier(s, input.ticketId),
    k.tierBuyers(s, input.ticketId),
    k.reservations(s),
    k.claims(s),
    k.disabledSeats(s),
    input.dedupKey ? k.dedup(s, input.userId, input.dedupKey) : "",
    ...input.slots.map((slot) => k.hold(s, slot)),
    k.heldBy(s, input.userId),
  ];
  const args = [
    input.orderNo,
    input.userId,
    input.ticketId,
    input.quantity,
    input.limit,
    ctx.now(),
    input.dedupTtlMs,
    ...input.slots,
  ];
  for (let attempt = 0;; attempt++) {
    const [code, detail] = await ctx.scripts.run<[number, number | string]>("reserve", keys, args);
    switch (code) {
      case 1:
        return { outcome: "reserved", available: Number(detail) };
      case 3:
        return { outcome: "already" };
      case 2:
        return { outcome: "duplicate", firstOrderNo: String(detail) };
      case -1:
        throw new AppError(
          "SOLD_OUT",
          Number(detail) > 0
            ? `only ${detail} tickets of tier ${input.ticketId} are left`
            : `tier ${input.ticketId} is sold out`,
          { detail: { available: Number(detail) } },
        );
      case -2:
        throw new AppError(
          "LIMIT_EXCEEDED",
          `at most ${input.limit} tickets of tier ${input.ticketId} per buyer; you have ${detail}`,
          { detail: { limit: input.limit, held: Number(detail) } },
        );
      case -3: {
        const slots = String(detail).split(",");
        throw new AppError("SEAT_UNAVAILABLE", `seats not available: ${slots.join(", ")}`, {
          detail: { seats: slots },
        });
      }
      case 0:
        if (attempt > 0) throw unavailable(`the sale state of session ${s}`);
        await rebuildSession(ctx, s);
        continue;
      default:
        throw new Error(`reserve.lua returned an unknown code ${code}`);
    }
  }
}

/**
 * After the order's MySQL commit: puts its reservation back when Redis lost it in between (a
 * restart, then a rebuild that read MySQL before the commit). `reservedAt` is a time taken
 * before the reserve call. True when something was adopted.
 */
export async function adoptReservation(
  ctx: AppContext,
  input: Pick<ReserveInput, "orderNo" | "userId" | "sessionId" | "ticketId" | "quantity" | "slots">,
  reservedAt: number,
): Promise<boolean> {
  const k = ctx.keys;
  const s = input.sessionId;
  for (let attempt = 0;; attempt++) {
    const code = await ctx.scripts.run<number>(
      "adopt-reservation",
      [
        k.sessionReady(s),
        k.tier(s, input.ticketId),
        k.tierBuyers(s, input.ticketId),
        k.reservations(s),
        k.claims(s),
      ],
      [input.orderNo, input.userId, input.ticketId, input.quantity, reservedAt, ...input.slots],
    );
    if (code !== 2 || attempt > 0) return code === 1;
    // Not built: a rebuild now reads MySQL with this order; one under way may not have.
    await rebuildSession(ctx, s);
  }
}

/** Gives an unpaid order's tickets and seats back. True when something was released. */
export async function releaseReservation(ctx: AppContext, ref: ReservationRef): Promise<boolean> {
  const k = ctx.keys;
  const s = ref.sessionId;
  const code = await ctx.scripts.run<number>(
    "release",
    [k.tier(s, ref.ticketId), k.tierBuyers(s, ref.ticketId), k.reservations(s), k.claims(s)],
    [ref.orderNo],
  );
  return code === 1;
}

/** Moves a paid order's tickets from locked to sold. True when something changed. */
export async function confirmReservation(ctx: AppContext, ref: ReservationRef): Promise<boolean> {
  const k = ctx.keys;
  const s = ref.sessionId;
  const code = await ctx.scripts.run<number>(
    "confirm",
    [k.tier(s, ref.ticketId), k.reservations(s), k.claims(s)],
    [ref.orderNo],
  );
  return code === 1;
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
