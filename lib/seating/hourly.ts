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
import { holdSlots, releaseSlots } from "./holds.ts";
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

export async function releaseWindow(ctx: AppContext, userId: number, input: HourlyRequest) {
  const plan = await planWindow(ctx, input);
  await releaseSlots(ctx, userId, plan.sessionId, plan.slots);
  return true as const;
}
