// Hour windows of bookings by the hour: pure, no store. Zones without daylight saving (Asia/Shanghai
// +08:00, Asia/Kolkata +05:30, UTC), so every wall-clock hour exists exactly once.
import assert from "node:assert/strict";
import { DEFAULT_HOURLY, type HourlySettings } from "#lib/catalog/hourly_settings.ts";
import { AppError } from "#lib/platform/errors.ts";
import { checkWindow, dayHours, describeSlot, HOUR, inWindow } from "#lib/seating/hour_windows.ts";
import { slotOf } from "#lib/seating/slots.ts";

const SH = "Asia/Shanghai";
const FIELDS = { start: "startTime", hours: "hours", end: "bookingEndTime" };
const NOW = Date.parse("2026-12-01T00:00:00+08:00");
const SESSION = {
  start: Date.parse("2026-11-01T00:00:00Z"),
  end: Date.parse("2027-01-01T00:00:00Z"),
};

function refused(fn: () => unknown, message: string) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, "VALIDATION_FAILED");
    assert.equal(e.message, message);
    return true;
  });
}

const window = (
  start: string,
  input: { hours?: number; end?: string },
  settings: Partial<HourlySettings> = {},
  zone = SH,
) =>
  checkWindow(
    { ...DEFAULT_HOURLY, ...settings },
    SESSION,
    {
      start: new Date(start),
      hours: input.hours,
      end: input.end ? new Date(input.end) : undefined,
    },
    NOW,
    FIELDS,
    zone,
  );

Deno.test("inWindow(): a window that wraps past midnight, and one that does not", () => {
  assert.deepEqual([21, 22, 23, 0, 7, 8].map((h) => inWindow(h, 22, 8)), [
    false,
    true,
    true,
    true,
    true,
    false,
  ]);
  assert.deepEqual([7, 8, 21, 22].map((h) => inWindow(h, 8, 22)), [false, true, true, false]);
  assert.equal(inWindow(0, 22, 0), false, "22:00-24:00 ends at midnight");
  assert.equal(inWindow(23, 22, 0), true);
});

Deno.test("checkWindow(): a window across midnight has one slot per wall-clock hour, night flagged", () => {
  const w = window("2026-12-01T22:00:00+08:00", { hours: 4 }, {
    nightFrom: "23:00",
    nightTo: "01:00",
  });
  assert.equal(w.hours, 4);
  assert.equal(w.start.toISOString(), "2026-12-01T14:00:00.000Z");
  assert.equal(w.end.toISOString(), "2026-12-01T18:00:00.000Z");
  assert.deepEqual(w.hourStarts, [0, 1, 2, 3].map((i) => w.start.getTime() + i * HOUR));
  assert.deepEqual(w.night, [false, true, true, false], "22 day, 23 and 00 night, 01 day");
});

Deno.test("checkWindow(): the default night 22:00-08:00 over a 12-hour window from 20:00", () => {
  const w = window("2026-12-01T20:00:00+08:00", { hours: 12 });
  assert.deepEqual(w.night, [false, false, ...Array(10).fill(true)]);
});

Deno.test("checkWindow(): the end time may replace the hours, and must agree with them", () => {
  const w = window("2026-12-01T23:00:00+08:00", { end: "2026-12-02T02:00:00+08:00" });
  assert.equal(w.hours, 3);
  refused(
    () => window("2026-12-01T23:00:00+08:00", { hours: 2, end: "2026-12-02T02:00:00+08:00" }),
    "hours: disagrees with the end time",
  );
  refused(
    () => window("2026-12-01T23:00:00+08:00", { end: "2026-12-02T01:30:00+08:00" }),
    "bookingEndTime: the window must last whole hours",
  );
  refused(
    () => window("2026-12-01T23:00:00+08:00", { end: "2026-12-01T23:00:00+08:00" }),
    "bookingEndTime: must be after the start",
  );
  refused(() => window("2026-12-01T23:00:00+08:00", {}), "hours: required (or an end time)");
  refused(
    () => window("2026-12-01T23:00:00+08:00", { hours: 1.5 }),
    "hours: a whole number of hours, at least 1",
  );
});

Deno.test("checkWindow(): on the hour of the venue's wall clock, also at a half-hour offset", () => {
  const kolkata = window("2026-12-01T10:00:00+05:30", { hours: 1 }, {}, "Asia/Kolkata");
  assert.equal(kolkata.start.toISOString(), "2026-12-01T04:30:00.000Z");
  refused(
    () => window("2026-12-01T10:00:00Z", { hours: 1 }, {}, "Asia/Kolkata"),
    "startTime: must be on the hour (HH:00:00)",
  );
  refused(
    () => window("2026-12-01T10:00:01+08:00", { hours: 1 }),
    "startTime: must be on the hour (HH:00:00)",
  );
  assert.equal(window("2026-12-01T10:00:00Z", { hours: 1 }, {}, "UTC").hours, 1);
});

Deno.test("checkWindow(): opening hours that wrap past midnight close the venue in between", () => {
  const open = { openFrom: "18:00", openTo: "02:00" };
  assert.equal(window("2026-12-01T23:00:00+08:00", { hours: 3 }, open).hours, 3);
  refused(
    () => window("2026-12-02T01:00:00+08:00", { hours: 2 }, open),
    "startTime: the venue is closed at 02:00",
  );
  refused(
    () => window("2026-12-01T12:00:00+08:00", { hours: 1 }, { openFrom: "08:00", openTo: "12:00" }),
    "startTime: the venue is closed at 12:00",
  );
  assert.equal(
    window("2026-12-01T23:00:00+08:00", { hours: 1 }, { openFrom: "08:00", openTo: "24:00" }).hours,
    1,
  );
});

Deno.test("checkWindow(): the venue's limits, each refused naming its field", () => {
  refused(() => window("2026-12-01T10:00:00+08:00", { hours: 13 }), "hours: at most 12 hours");
  refused(() => window("2026-11-30T22:00:00+08:00", { hours: 1 }), "startTime: is in the past");
  // The hour under way may still be booked.
  assert.equal(window("2026-12-01T00:00:00+08:00", { hours: 1 }).hours, 1);
  refused(
    () => window("2026-12-08T00:00:00+08:00", { hours: 1 }),
    "startTime: bookable at most 7 days ahead",
  );
  refused(
    () => window("2026-12-31T23:00:00Z", { hours: 2 }, { horizonDays: 60 }),
    "startTime: outside the venue's bookable period",
  );
});

Deno.test("dayHours(): the hours of local days, from local midnight", () => {
  const one = dayHours("2026-12-01", 1, SH);
  assert.equal(new Date(one.from).toISOString(), "2026-11-30T16:00:00.000Z");
  assert.equal(new Date(one.to).toISOString(), "2026-12-01T16:00:00.000Z");
  assert.equal(one.hourStarts.length, 24);
  assert.equal(dayHours("2026-12-01", 7, "Asia/Kolkata").hourStarts.length, 7 * 24);
  assert.equal(
    new Date(dayHours("2026-12-01", 1, "Asia/Kolkata").from).toISOString(),
    "2026-11-30T18:30:00.000Z",
  );
  refused(() => dayHours("2026-02-30", 1, SH), "date: a date as YYYY-MM-DD");
  refused(() => dayHours("2026-12-1", 1, SH), "date: a date as YYYY-MM-DD");
  refused(() => dayHours("2026-12-01", 8, SH), "days: 1 to 7");
  refused(() => dayHours("2026-12-01", 0, SH), "days: 1 to 7");
});

Deno.test("describeSlot(): a seat-hour as people read it, across midnight", () => {
  const slot = slotOf(7, Date.parse("2026-12-01T23:00:00+08:00"));
  assert.equal(
    describeSlot(slot, (id) => id === 7 ? "A-01-07" : undefined, SH),
    "A-01-07 2026-12-01 23:00-00:00",
  );
  assert.equal(describeSlot(slot, () => undefined, SH), "7 2026-12-01 23:00-00:00");
});
