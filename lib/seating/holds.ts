/**
 * Holds: a buyer keeps slots for a few minutes (SEAT_HOLD_SECONDS) while deciding, all or none,
 * and at most a cap of them per session at once. A hold is a Redis key with a TTL (hold-seats.lua),
 * so an abandoned hold lapses by itself; the buyer's hold index in the session counts them.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, invalid, unavailable } from "#lib/platform/errors.ts";
import { recordSeatHold } from "#lib/platform/metrics.ts";
import { rebuildSession } from "#lib/sale/session_rebuild.ts";
import { MAX_SEATS_PER_REQUEST, refuseDisabled, resolveSeats } from "./areas.ts";
import { slotKeys } from "./live_state.ts";
import { seatUnavailable } from "./slots.ts";

export interface HoldResult {
  seatIds: number[];
  expireTime: Date;
}

/** hold-seats.lua's reply: { code, detail } (see its header). */
type HoldReply = [number, number | string];

/** Holds the slots for the buyer, all or none (409 SEAT_UNAVAILABLE naming those in the way). */
export async function holdSlots(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  slots: string[],
  cap = MAX_SEATS_PER_REQUEST,
): Promise<Date> {
  const keys = [...slotKeys(ctx, sessionId, slots), ctx.keys.heldBy(sessionId, userId)];
  const args = [userId, ctx.now(), ctx.config.seatHoldSeconds * 1000, cap, ...slots];
  const [code, detail] = await holdBuilt(
    ctx,
    sessionId,
    () => ctx.scripts.run<HoldReply>("hold-seats", keys, args),
  );
  if (code === 1) {
    recordSeatHold("held", slots.length);
    return new Date(Number(detail));
  }
  if (code === -3) {
    recordSeatHold("taken");
    throw seatUnavailable(String(detail).split(","));
  }
  recordSeatHold("over-limit");
  throw new AppError(
    "LIMIT_EXCEEDED",
    `at most ${cap} held at once per buyer in this session; you hold ${detail}`,
    { detail: { limit: cap, held: Number(detail) } },
  );
}

/** Not built → rebuild → hold once more (the session's rebuild-and-retry, for hold-seats). */
async function holdBuilt(
  ctx: AppContext,
  sessionId: number,
  hold: () => Promise<HoldReply>,
): Promise<HoldReply> {
  for (let attempt = 0;; attempt++) {
    const reply = await hold();
    if (reply[0] !== 0) return reply;
    if (attempt > 0) throw unavailable(`the sale state of session ${sessionId}`);
    await rebuildSession(ctx, sessionId);
  }
}

/** Releases the buyer's own holds on the slots; others' holds are untouched. */
export async function releaseSlots(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  slots: string[],
): Promise<number> {
  const keys = [
    ...slots.map((slot) => ctx.keys.hold(sessionId, slot)),
    ctx.keys.heldBy(sessionId, userId),
  ];
  const released = await ctx.scripts.run<number>("release-holds", keys, [userId, ...slots]);
  if (released > 0) recordSeatHold("released", released);
  return released;
}

/** Holds seats of a seated session (`POST /api/seat/lock`). */
export async function holdSeats(
  ctx: AppContext,
  userId: number,
  input: { sessionId?: number; seatIds: number[] },
): Promise<HoldResult> {
  const { sessionId, seats, areas } = await resolveSeats(ctx, input.seatIds, input.sessionId);
  if ([...areas.values()].some((a) => a.hourly)) {
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
