/**
 * Hour windows of bookings by the hour, as values (pure). A booking window starts on a whole
 * hour of the venue's wall clock (the service's TIME_ZONE) and lasts whole hours; each (seat,
 * hour) is one slot "seatId@epochMinute" of the hour's start, so windows of one seat conflict
 * exactly when they share an hour, adjacent ones never, and a window may cross midnight. An hour
 * is priced as night when it starts inside the venue's night window.
 *
 * ```ts
 * inWindow(23, 22, 8); // true: 22:00-08:00 wraps past midnight
 * checkWindow(settings, session, { start, hours: 3 }, Date.now()).hourStarts; // [t, t+1h, t+2h]
 * ```
 */
import { type HourlySettings, hourOfDay } from "#lib/catalog/hourly_settings.ts";
import { invalid } from "#lib/platform/errors.ts";
import { serviceTimeZone, wallClock, wallToUtc } from "#lib/platform/time.ts";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Is hour `h` (0-23, the hour starting at h:00) inside [from, to), a window that may wrap? */
export function inWindow(h: number, from: number, to: number): boolean {
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

export interface WindowFields {
  start: string;
  hours: string;
  end: string;
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
  fields: WindowFields = { start: "startTime", hours: "hours", end: "bookingEndTime" },
  zone: string = serviceTimeZone(),
): BookingWindow {
  const start = input.start.getTime();
  const wall = wallClock(input.start, zone);
  if (wall.minute !== 0 || wall.second !== 0 || start % 1000 !== 0) {
    throw invalid(fields.start, "must be on the hour (HH:00:00)");
  }
  const hours = windowHours(input, fields);
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

/** The window's length in whole hours, from `hours` or from the end time (which must agree). */
function windowHours(
  input: { start: Date; hours?: number; end?: Date },
  fields: WindowFields,
): number {
  let hours = input.hours;
  if (input.end !== undefined) {
    const span = input.end.getTime() - input.start.getTime();
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
  return hours;
}

/**
 * The hours of `days` local days from the wall-clock date "YYYY-MM-DD" (1-7 days): their starts,
 * and the instants the range begins and ends. 400 naming the field otherwise.
 */
export function dayHours(
  date: string,
  days: number,
  zone: string = serviceTimeZone(),
): { from: number; to: number; hourStarts: number[] } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const wallMidnight = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (
    !m || Number.isNaN(wallMidnight) || new Date(wallMidnight).toISOString().slice(0, 10) !== date
  ) {
    throw invalid("date", "a date as YYYY-MM-DD");
  }
  if (!Number.isInteger(days) || days < 1 || days > 7) throw invalid("days", "1 to 7");
  const from = wallToUtc(wallMidnight, zone);
  const to = wallToUtc(wallMidnight + days * DAY, zone);
  const hourStarts: number[] = [];
  for (let t = from; t < to; t += HOUR) hourStarts.push(t);
  return { from, to, hourStarts };
}

/** A seat-hour slot for people: "A-01-02 2026-12-01 22:00-23:00" (the seat's code when known). */
export function describeSlot(
  slot: string,
  codeOf: (seatId: number) => string | undefined,
  zone: string = serviceTimeZone(),
): string {
  const [seatId, minute] = slot.split("@").map(Number);
  const code = codeOf(seatId) ?? String(seatId);
  const from = wallClock(new Date(minute * 60_000), zone);
  const to = wallClock(new Date(minute * 60_000 + HOUR), zone);
  const hh = (w: { hour: number }) => `${String(w.hour).padStart(2, "0")}:00`;
  return `${code} ${from.date} ${hh(from)}-${hh(to)}`;
}
