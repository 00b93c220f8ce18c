/**
 * Hourly booking (internet cafés): a show of type 6 is a venue whose seats are booked by the
 * hour. A booking window starts on a whole hour of the venue's wall clock (the service's
 * TIME_ZONE) and lasts whole hours; each (seat, hour) is one slot "seatId@epochMinute" of the
 * hour's start, so windows of one seat conflict exactly when they share an hour, adjacent ones
 * never, and a window may cross midnight.
 *
 * Price per seat-hour is the area's night price when the hour starts inside the night window,
 * else its day price; the server computes it, whatever the client sends.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, invalid, notFound } from "#lib/platform/errors.ts";
import {
  type Area,
  areaWithSeats,
  holdSeats,
  holdSlots,
  MAX_SEATS_PER_REQUEST,
  readSlots,
  refuseDisabled,
  releaseSlots,
  resolveSeats,
  type Seat,
} from "./seats.ts";
import { INTERNET_CAFE } from "#lib/catalog/shows.ts";
import { serviceTimeZone, wallClock, wallToUtc } from "#lib/platform/time.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface HourlySettings {
  openFrom: string;
  openTo: string;
  nightFrom: string;
  nightTo: string;
  maxHours: number;
  horizonDays: number;
}

export const DEFAULT_HOURLY: HourlySettings = {
  openFrom: "00:00",
  openTo: "24:00",
  nightFrom: "22:00",
  nightTo: "08:00",
  maxHours: 12,
  horizonDays: 7,
};

/** "HH:mm" → minutes of the day (0-1440); whole hours only, as bookings are by the hour. */
export function hourOfDay(field: string, hhmm: string, allow24 = false): number {
  const m = /^([01]\d|2[0-4]):00$/.exec(hhmm);
  const h = m ? Number(m[1]) : NaN;
  if (!m || h > (allow24 ? 24 : 23)) throw invalid(field, "a whole hour as HH:00");
  return h;
}

async function assertHourlyShow(ctx: AppContext, showId: number): Promise<void> {
  const [show] = await ctx.db.read.rows<{ type: number }>(
    "SELECT type FROM shows WHERE id = ? AND deleted_at IS NULL",
    [showId],
  );
  if (!show) throw notFound(`show ${showId}`);
  if (show.type !== INTERNET_CAFE) {
    throw invalid("showId", `show ${showId} is not booked by the hour`);
  }
}

export async function getHourlySettings(ctx: AppContext, showId: number): Promise<HourlySettings> {
  await assertHourlyShow(ctx, showId);
  return await settingsOf(ctx, showId);
}

async function settingsOf(ctx: AppContext, showId: number): Promise<HourlySettings> {
  const [row] = await ctx.db.read.rows<{
    open_from: string;
    open_to: string;
    night_from: string;
    night_to: string;
    max_hours: number;
    horizon_days: number;
  }>("SELECT * FROM hourly_venues WHERE show_id = ?", [showId]);
  if (!row) return { ...DEFAULT_HOURLY };
  return {
    openFrom: row.open_from,
    openTo: row.open_to,
    nightFrom: row.night_from,
    nightTo: row.night_to,
    maxHours: row.max_hours,
    horizonDays: row.horizon_days,
  };
}

export async function updateHourlySettings(
  ctx: AppContext,
  showId: number,
  changes: Partial<HourlySettings>,
): Promise<HourlySettings> {
  await assertHourlyShow(ctx, showId);
  const next = { ...await settingsOf(ctx, showId), ...changes };
  hourOfDay("openFrom", next.openFrom);
  hourOfDay("openTo", next.openTo, true);
  hourOfDay("nightFrom", next.nightFrom);
  hourOfDay("nightTo", next.nightTo, true);
  if (next.openFrom === next.openTo) throw invalid("openTo", "must differ from openFrom");
  await ctx.db.exec(
    `INSERT INTO hourly_venues (show_id, open_from, open_to, night_from, night_to, max_hours,
                                horizon_days)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE open_from = VALUES(open_from), open_to = VALUES(open_to),
       night_from = VALUES(night_from), night_to = VALUES(night_to),
       max_hours = VALUES(max_hours), horizon_days = VALUES(horizon_days)`,
    [
      showId,
      next.openFrom,
      next.openTo,
      next.nightFrom,
      next.nightTo,
      next.maxHours,
      next.horizonDays,
    ],
  );
  return next;
}

/** Is hour `h` (0-23, the hour starting at h:00) inside [from, to), a window that may wrap? */
function inWindow(h: number, from: number, to: number): boolean {
  return from < to ? h >= from && h < to : h >= from || h < to;
}

export interface BookingWindow {
  start: Date;
  end: Date;
  hours: number;
  /** Start of each hour, ms since the epoch. */
  hourStarts: number[];
  /** For each hour: true when it is priced as night. */
  night: boolean[];
}

/**
 * Checks a requested window against the venue: on the hour, not past, within the horizon and
 * the maximum length, inside opening hours and the session. 400 naming the field otherwise.
 */
export function checkWindow(
  settings: HourlySettings,
  session: { start: number; end: number },
  input: { start: Date; hours?: number; end?: Date },
  now: number,
  fields = { start: "startTime", hours: "hours", end: "bookingEndTime" },
): BookingWindow {
  const zone = serviceTimeZone();
  const start = input.start.getTime();
  const wall = wallClock(input.start, zone);
  if (wall.minute !== 0 || wall.second !== 0 || start % 1000 !== 0) {
    throw invalid(fields.start, "must be on the hour (HH:00:00)");
  }
  let hours = input.hours;
  if (input.end !== undefined) {
    const span = input.end.getTime() - start;
    if (span <= 0) throw invalid(fields.end, "must be after the start");
    if (span % HOUR !== 0) throw invalid(fields.end, "the window must last whole hours");
    if (hours !== undefined && hours !== span / HOUR) {
      throw invalid(fields.hours, "disagrees with the end time");
    }
    hours = span / HOUR;
  }
  if (hours === undefined) throw invalid(fields.hours, "required (or an end time)");
  if (!Number.isInteger(hours) || hours < 1) {
    throw invalid(fields.hours, "a whole number of hours, at least 1");
  }
  if (hours > settings.maxHours) throw invalid(fields.hours, `at most ${settings.maxHours} hours`);
  const currentHour = Math.floor(now / HOUR) * HOUR;
  if (start < currentHour) throw invalid(fields.start, "is in the past");
  if (start >= now + settings.horizonDays * DAY) {
    throw invalid(fields.start, `bookable at most ${settings.horizonDays} days ahead`);
  }
  const end = start + hours * HOUR;
  if (start < session.start || end > session.end) {
    throw invalid(fields.start, "outside the venue's bookable period");
  }
  const open = [
    hourOfDay("openFrom", settings.openFrom),
    hourOfDay("openTo", settings.openTo, true),
  ];
  const night = [
    hourOfDay("nightFrom", settings.nightFrom),
    hourOfDay("nightTo", settings.nightTo, true),
  ];
  const hourStarts: number[] = [];
  const isNight: boolean[] = [];
  for (let i = 0; i < hours; i++) {
    const at = start + i * HOUR;
    const h = wallClock(new Date(at), zone).hour;
    if (!(open[0] === 0 && open[1] === 24) && !inWindow(h, open[0], open[1] % 24 || 24)) {
      throw invalid(fields.start, `the venue is closed at ${String(h).padStart(2, "0")}:00`);
    }
    hourStarts.push(at);
    isNight.push(inWindow(h, night[0], night[1] % 24));
  }
  return { start: new Date(start), end: new Date(end), hours, hourStarts, night: isNight };
}

export const slotOf = (seatId: number, hourStart: number) => `${seatId}@${hourStart / 60_000}`;

function describeSlot(slot: string, seats: Map<number, Seat>): string {
  const [seatId, minute] = slot.split("@").map(Number);
  const code = seats.get(seatId)?.seatCode ?? String(seatId);
  const zone = serviceTimeZone();
  const from = wallClock(new Date(minute * 60_000), zone);
  const to = wallClock(new Date(minute * 60_000 + HOUR), zone);
  const hh = (w: { hour: number }) => `${String(w.hour).padStart(2, "0")}:00`;
  return `${code} ${from.date} ${hh(from)}-${hh(to)}`;
}

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
        const named = slots.map((s) => describeSlot(s, byId));
        throw new AppError("SEAT_UNAVAILABLE", `seats not available: ${named.join(", ")}`, {
          detail: { seats: slots, hours: named },
        });
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
export async function planWindow(
  ctx: AppContext,
  input: HourlyRequest,
  fields?: { start: string; hours: string; end: string },
) {
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
  const settings = await settingsOf(ctx, session.show_id);
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
    // A buyer may hold up to 10 seats for the longest window the venue allows.
    () => holdSlots(ctx, userId, plan.sessionId, plan.slots, MAX_SEATS_PER_REQUEST * 24),
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
  const walkIn = () =>
    holdWindow(ctx, userId, {
      ...input,
      start: currentHourStart(ctx.now()),
      hours: input.hours ?? 1,
    });
  if (input.startTime !== undefined) {
    return await holdWindow(ctx, userId, { ...input, start: input.startTime });
  }
  return await holdSeats(ctx, userId, input, walkIn);
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

export interface HourlyPrice {
  basePrice: number;
  nightSurcharge: number;
  totalAmount: number;
  /** Per seat: its booking's price. */
  perSeat: { seat: Seat; area: Area; amount: number }[];
}

/** Day price × hours × seats, plus (night − day) × night hours × seats. */
export function priceWindow(
  seats: Seat[],
  areas: Map<number, Area>,
  window: BookingWindow,
): HourlyPrice {
  const nightHours = window.night.filter(Boolean).length;
  let base = 0;
  let surcharge = 0;
  const perSeat = seats.map((seat) => {
    const area = areas.get(seat.areaId)!;
    const day = area.price;
    const night = area.nightPrice ?? area.price;
    const b = day * window.hours;
    const s = (night - day) * nightHours;
    base += b;
    surcharge += s;
    return { seat, area, amount: round(b + s) };
  });
  base = round(base);
  surcharge = round(surcharge);
  return {
    basePrice: base,
    nightSurcharge: surcharge,
    totalAmount: round(base + surcharge),
    perSeat,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

// ---------------------------------------------------------------- availability

export interface SeatAvailability {
  id: number;
  seatCode: string;
  busy: { start: Date; end: Date; state: "held" | "booked"; mine: boolean }[];
}

/**
 * Per seat of an area, the busy hours of a local day (or of `days` days from it): held or
 * booked, and whether the caller holds or booked them. One Redis round trip for all of it.
 */
export async function areaAvailability(
  ctx: AppContext,
  input: { areaId: number; sessionId?: number; date: string; days?: number },
  callerId: number | undefined,
): Promise<{ areaId: number; date: string; days: number; seats: SeatAvailability[] }> {
  const { area, seats } = await areaWithSeats(ctx, input.areaId);
  if (input.sessionId !== undefined && input.sessionId !== area.sessionId) {
    throw invalid("sessionId", `area ${input.areaId} is not an area of session ${input.sessionId}`);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.date);
  const wallMidnight = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (
    !m || Number.isNaN(wallMidnight) ||
    new Date(wallMidnight).toISOString().slice(0, 10) !== input.date
  ) {
    throw invalid("date", "a date as YYYY-MM-DD");
  }
  const days = input.days ?? 1;
  if (!Number.isInteger(days) || days < 1 || days > 7) throw invalid("days", "1 to 7");
  const zone = serviceTimeZone();
  const from = wallToUtc(wallMidnight, zone);
  const to = wallToUtc(wallMidnight + days * DAY, zone);
  const hourStarts: number[] = [];
  for (let t = from; t < to; t += HOUR) hourStarts.push(t);
  const sellable = seats.filter((s) => !s.disabled);
  const slots = sellable.flatMap((seat) => hourStarts.map((h) => slotOf(seat.id, h)));
  const states = slots.length ? await readSlots(ctx, area.sessionId, slots) : [];
  // Who booked: claims name orders; the caller's own bookings are looked up once.
  const mineBooked = callerId === undefined ? new Set<string>() : new Set(
    (await ctx.db.read.rows<{ slot: string }>(
      `SELECT c.slot FROM seat_claims c JOIN orders o ON o.id = c.order_id
        WHERE c.session_id = ? AND o.user_id = ? AND c.seat_id IN (${
        sellable.map(() => "?").join(", ") || "NULL"
      }) AND o.booking_start < ? AND o.booking_end > ?`,
      [area.sessionId, callerId, ...sellable.map((s) => s.id), new Date(to), new Date(from)],
    )).map((r) => r.slot),
  );
  const out = sellable.map((seat, si) => {
    const busy: SeatAvailability["busy"] = [];
    hourStarts.forEach((h, hi) => {
      const st = states[si * hourStarts.length + hi];
      if (st.state === "free") return;
      const state = st.state === "held" ? "held" : "booked";
      const mine = state === "held"
        ? st.holder === callerId && callerId !== undefined
        : mineBooked.has(slotOf(seat.id, h));
      const last = busy[busy.length - 1];
      if (last && last.end.getTime() === h && last.state === state && last.mine === mine) {
        last.end = new Date(h + HOUR);
      } else busy.push({ start: new Date(h), end: new Date(h + HOUR), state, mine });
    });
    return { id: seat.id, seatCode: seat.seatCode, busy };
  });
  return { areaId: area.id, date: input.date, days, seats: out };
}
