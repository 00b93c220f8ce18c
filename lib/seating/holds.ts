/**
 * Holds: a buyer keeps slots for a few minutes (SEAT_HOLD_SECONDS) while deciding, all or none,
 * and at most a cap of them per session at once. A hold is a Redis key with a TTL (hold-seats.lua),
 * so an abandoned hold lapses by itself; the buyer's hold index in the session counts them.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid } from "#lib/platform/errors.ts";
import { recordSeatHold } from "#lib/platform/metrics.ts";
import { holdSeatsScript, releaseHoldsScript } from "#lib/sale/calls.ts";
import { writingSlots } from "#lib/sale/slot_writes.ts";
import { refusalError } from "#lib/sale/replies.ts";
import { withBuiltSession } from "#lib/sale/session_rebuild.ts";
import { MAX_SEATS_PER_REQUEST, refuseDisabled, resolveSeats } from "./areas.ts";

export interface HoldResult {
  seatIds: number[];
  expireTime: Date;
}

/**
 * Holds the slots for the buyer, all or none (409 SEAT_UNAVAILABLE naming those in the way).
 * Seat-hours (an hourly venue) count with the buyer's unpaid bookings against
 * HOURLY_MAX_SEAT_HOURS; seats against MAX_SEATS_PER_REQUEST.
 */
export async function holdSlots(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  slots: string[],
): Promise<Date> {
  const seatHours = slots.some((s) => s.includes("@"));
  const cap = seatHours ? ctx.config.hourlyMaxSeatHours : MAX_SEATS_PER_REQUEST;
  const holdMs = ctx.config.seatHoldSeconds * 1000;
  const reply = await withBuiltSession(
    ctx,
    sessionId,
    () =>
      writingSlots(
        ctx,
        sessionId,
        { slots },
        () => holdSeatsScript(ctx, { userId, sessionId, slots, holdMs, cap }),
      ),
  );
  if (reply.outcome === "held") {
    recordSeatHold("held", slots.length);
    return new Date(reply.expireAt);
  }
  recordSeatHold(reply.refusal.code === "SEAT_UNAVAILABLE" ? "taken" : "over-limit");
  throw refusalError(reply.refusal, { kind: "hold", cap, seatHours });
}

/** Releases the buyer's own holds on the slots; others' holds are untouched. */
export async function releaseSlots(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  slots: string[],
): Promise<number> {
  const released = await writingSlots(
    ctx,
    sessionId,
    { slots },
    () => releaseHoldsScript(ctx, userId, sessionId, slots),
  );
  if (released > 0) recordSeatHold("released", released);
  return released;
}

/**
 * Holds seats of a seated session (`POST /api/seat/lock`). Seats of an hourly venue are handed
 * to `onHourly` (the walk-in of hourly.ts) or, without it, refused.
 */
export async function holdSeats<T = never>(
  ctx: AppContext,
  userId: number,
  input: { sessionId?: number; seatIds: number[] },
  onHourly?: () => Promise<T>,
): Promise<HoldResult | T> {
  const { sessionId, seats, areas } = await resolveSeats(ctx, input.seatIds, input.sessionId);
  if ([...areas.values()].some((a) => a.hourly)) {
    if (onHourly) return await onHourly();
    throw invalid("startTime", "required: these seats are booked by the hour (with hours)");
  }
  refuseDisabled(seats);
  const expireTime = await holdSlots(ctx, userId, sessionId, seats.map((s) => String(s.id)));
  return { seatIds: seats.map((s) => s.id), expireTime };
}

export async function releaseSeats(
  ctx: AppContext,
  userId: number,
  input: { sessionId?: number; seatIds: number[] },
): Promise<true> {
  const { sessionId, seats } = await resolveSeats(ctx, input.seatIds, input.sessionId);
  await releaseSlots(ctx, userId, sessionId, seats.map((s) => String(s.id)));
  return true;
}
