/**
 * The settings of a venue booked by the hour (an internet café, show type 6), as values: opening
 * hours, the night-price window, the longest booking and how far ahead one may book. Pure; the
 * stored settings are read and written by hourly_venues.ts.
 *
 * ```ts
 * hourOfDay("nightFrom", "22:00"); // 22
 * hourOfDay("openTo", "24:00", true); // 24
 * ```
 */
import { invalid } from "#lib/platform/errors.ts";

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

/** "HH:00" → the hour (0-23, or 24 with `allow24`); whole hours only, as bookings are by the hour. */
export function hourOfDay(field: string, hhmm: string, allow24 = false): number {
  const m = /^([01]\d|2[0-4]):00$/.exec(hhmm);
  const h = m ? Number(m[1]) : NaN;
  if (!m || h > (allow24 ? 24 : 23)) throw invalid(field, "a whole hour as HH:00");
  return h;
}

/** Refuses (400 naming the field) settings whose hours are not whole hours of the day. */
export function checkHourlySettings(s: HourlySettings): void {
  hourOfDay("openFrom", s.openFrom);
  hourOfDay("openTo", s.openTo, true);
  hourOfDay("nightFrom", s.nightFrom);
  hourOfDay("nightTo", s.nightTo, true);
  if (s.openFrom === s.openTo) throw invalid("openTo", "must differ from openFrom");
}
