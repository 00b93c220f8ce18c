/**
 * Bookings by the hour (internet cafés, show type 6): a request's seats and window checked
 * against the venue (planWindow), held and released. The window's rules are hour_windows.ts's,
 * its price hourly_pricing.ts's, the venue's settings lib/catalog/hourly_venues.ts's.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, invalid } from "#lib/platform/errors.ts";
import { INTERNET_CAFE } from "#lib/catalog/shows.ts";
import { venueSettings } from "#lib/catalog/hourly_venues.ts";
import { refuseDisabled, resolveSeats, type Seat } from "./areas.ts";
import { holdSeats, holdSlots, releaseSlots } from "./holds.ts";
import { serviceTimeZone, wallClock } from "#lib/platform/time.ts";
import { checkWindow, describeSlot, type WindowFields } from "./hour_windows.ts";
import { seatUnavailable } from "#lib/sale/replies.ts";
import { slotOf } from "./slots.ts";

/** Turns a SEAT_UNAVAILABLE on slots into one naming seats and hours. */
export async function namingHours<T>(seats: Seat[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError && e.code === "SEAT_UNAVAILABLE") {
      const slots = ((e.detail as { seats?: string[] })?.seats ?? []).filter((s) =>
        s.includes("@")
      );
      if (slots.length) {
        const byId = new Map(seats.map((s) => [s.id, s]));
        throw seatUnavailable(
          slots,
          slots.map((s) => describeSlot(s, (id) => byId.get(id)?.seatCode)),
        );
      }
    }
    throw e;
  }
}

export interface HourlyRequest {
  sessionId?: number;
  seatIds: number[];
  start: Date;
  hours?: number;
  end?: Date;
}

/** The seats, their venue and the checked window of an hourly request. */
export async function planWindow(ctx: AppContext, input: HourlyRequest, fields?: WindowFields) {
  const { sessionId, seats, areas } = await resolveSeats(ctx, input.seatIds, input.sessionId);
  const [session] = await ctx.db.read.rows<
    { show_id: number; type: number; start_time: Date; end_time: Date }
  >(
    `SELECT se.show_id, sh.type, se.start_time, se.end_time FROM sessions se
       JOIN shows sh ON sh.id = se.show_id WHERE se.id = ?`,
    [sessionId],
  );
  if (session.type !== INTERNET_CAFE) {
    throw invalid("seatIds", "these seats are not booked by the hour");
  }
  refuseDisabled(seats);
  const settings = await venueSettings(ctx, session.show_id);
  const window = checkWindow(
    settings,
    { start: session.start_time.getTime(), end: session.end_time.getTime() },
    input,
    ctx.now(),
    fields,
  );
  const slots = seats.flatMap((seat) => window.hourStarts.map((h) => slotOf(seat.id, h)));
  return { sessionId, showId: session.show_id, seats, areas, window, slots };
}

export async function holdWindow(ctx: AppContext, userId: number, input: HourlyRequest) {
  const plan = await planWindow(ctx, input);
  const expireTime = await namingHours(
    plan.seats,
    () => holdSlots(ctx, userId, plan.sessionId, plan.slots),
  );
  return {
    seatIds: plan.seats.map((s) => s.id),
    startTime: plan.window.start,
    endTime: plan.window.end,
    expireTime,
  };
}

/** The start of the current hour on the venue's wall clock (the service's TIME_ZONE). */
export function currentHourStart(now: number): Date {
  const wall = wallClock(new Date(now), serviceTimeZone());
  return new Date(now - (wall.minute * 60 + wall.second) * 1000 - (now % 1000));
}

/**
 * POST /api/seat/lock: the seat-hours of `startTime` and `hours` when a start is given. Without
 * one, seats of an hourly venue are a walk-in — held from the start of the current hour for
 * `hours` (default 1, the shortest booking) and the reply says which window — and any other
 * seats are held as such.
 */
export async function holdSeatsOrWindow(
  ctx: AppContext,
  userId: number,
  input: { sessionId?: number; seatIds: number[]; startTime?: Date; hours?: number },
) {
  if (input.startTime !== undefined) {
    return await holdWindow(ctx, userId, { ...input, start: input.startTime });
  }
  return await holdSeats(ctx, userId, input, () =>
    holdWindow(ctx, userId, {
      ...input,
      start: currentHourStart(ctx.now()),
      hours: input.hours ?? 1,
    }));
}

/**
 * POST /api/seat/release: the caller's holds on the seat-hours of `startTime` and `hours`; without
 * a start, on an hourly venue, the caller's holds on those seats whatever their hours (a walk-in
 * hold, or one the reference client does not know the hours of); other seats as such.
 */
export async function releaseSeatsOrWindow(
  ctx: AppContext,
  userId: number,
  input: { sessionId?: number; seatIds: number[]; startTime?: Date; hours?: number },
): Promise<true> {
  if (input.startTime !== undefined) {
    return await releaseWindow(ctx, userId, { ...input, start: input.startTime });
  }
  const { sessionId, seats, areas } = await resolveSeats(ctx, input.seatIds, input.sessionId);
  let slots = seats.map((s) => String(s.id));
  if ([...areas.values()].some((a) => a.hourly)) {
    const key = ctx.keys.heldBy(sessionId, userId);
    const held = await ctx.redis.send<string[]>(["ZRANGE", key, "0", "-1"], key);
    const ids = new Set(slots);
    slots = held.filter((slot) => ids.has(slot.split("@")[0]));
    if (slots.length === 0) return true;
  }
  await releaseSlots(ctx, userId, sessionId, slots);
  return true;
}

export async function releaseWindow(ctx: AppContext, userId: number, input: HourlyRequest) {
  const plan = await planWindow(ctx, input);
  await releaseSlots(ctx, userId, plan.sessionId, plan.slots);
  return true as const;
}
