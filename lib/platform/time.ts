/**
 * Time in one place. The database stores UTC; clients may send zone-less times
 * (`"2026-12-01 19:30:00"`, or ISO-8601 without an offset), which mean wall-clock time in the
 * service's `TIME_ZONE`; replies are ISO-8601 with that zone's offset.
 *
 * ```ts
 * parseTime("2026-12-01 19:30:00", "Asia/Shanghai")?.toISOString(); // "2026-12-01T11:30:00.000Z"
 * formatTime(new Date("2026-12-01T11:30:00Z"), "Asia/Shanghai"); // "2026-12-01T19:30:00+08:00"
 * ```
 */

let serviceZone = "UTC";

/** Sets the zone of zone-less input for this process (TIME_ZONE; once, at boot). */
export function useTimeZone(timeZone: string): void {
  serviceZone = timeZone;
}

/** The service's time zone (TIME_ZONE). */
export function serviceTimeZone(): string {
  return serviceZone;
}

const ZONED =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A time from a client, or null when it is not one of the accepted forms or not a real date. */
export function parseTime(input: string, zone: string = serviceZone): Date | null {
  const s = input.trim();
  const d = DATE_ONLY.exec(s);
  const m = d ? [s, d[1], d[2], d[3], "00", "00", "00", undefined, undefined] : ZONED.exec(s);
  if (!m) return null;
  const [y, mo, da, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 59) return null;
  const wall = Date.UTC(y, mo - 1, da, h, mi, se, ms);
  const check = new Date(wall);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== da) return null; // 2026-02-30
  if (y < 1970 || y > 2200) return null;
  const offset = m[8];
  if (offset === undefined) return new Date(wallToUtc(wall, zone));
  if (offset.toUpperCase() === "Z") return new Date(wall);
  const sign = offset[0] === "-" ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  if (offsetMin > 14 * 60) return null;
  return new Date(wall - sign * offsetMin * 60_000);
}

/** ISO-8601 with the offset of `timeZone`, to the second: `2026-12-01T19:30:00+08:00`. */
export function formatTime(date: Date | null | undefined, timeZone: string): string | null {
  if (!date) return null;
  const t = Math.floor(date.getTime() / 1000) * 1000;
  const offset = offsetMinutes(t, timeZone);
  const wall = new Date(t + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0 && timeZone === "UTC") return `${wall}Z`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${wall}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The wall-clock fields of an instant in `timeZone`. */
export function wallClock(date: Date, timeZone: string) {
  const w = new Date(date.getTime() + offsetMinutes(date.getTime(), timeZone) * 60_000);
  return {
    year: w.getUTCFullYear(),
    month: w.getUTCMonth() + 1,
    day: w.getUTCDate(),
    hour: w.getUTCHours(),
    minute: w.getUTCMinutes(),
    second: w.getUTCSeconds(),
    /** "YYYY-MM-DD" of that wall clock. */
    date: w.toISOString().slice(0, 10),
  };
}

/** The instant at which `timeZone`'s wall clock shows `wallMs` (read as if UTC). */
export function wallToUtc(wallMs: number, timeZone: string): number {
  // Two passes settle the offset also next to a daylight-saving change.
  let guess = wallMs - offsetMinutes(wallMs, timeZone) * 60_000;
  guess = wallMs - offsetMinutes(guess, timeZone) * 60_000;
  return guess;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes `timeZone` is ahead of UTC at instant `ms`. */
export function offsetMinutes(ms: number, timeZone: string): number {
  if (timeZone === "UTC") return 0;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
