// Prices of bookings by the hour and the venue settings they come from: pure, no store.
import assert from "node:assert/strict";
import { checkHourlySettings, DEFAULT_HOURLY, hourOfDay } from "#lib/catalog/hourly_settings.ts";
import { AppError } from "#lib/platform/errors.ts";
import type { Area, Seat } from "#lib/seating/areas.ts";
import { checkWindow, HOUR } from "#lib/seating/hour_windows.ts";
import { priceWindow } from "#lib/seating/hourly_pricing.ts";

const area = (id: number, price: number, nightPrice: number | null): Area => ({
  id,
  showId: 1,
  sessionId: 1,
  ticketId: 1,
  name: `area ${id}`,
  areaCode: "A",
  floorLevel: 1,
  areaType: 1,
  rows: 1,
  cols: 2,
  price,
  nightPrice,
  hourly: true,
});
const seat = (id: number, areaId: number): Seat => ({
  id,
  areaId,
  sessionId: 1,
  ticketId: 1,
  rowNum: 1,
  seatNum: id,
  seatCode: `A-01-0${id}`,
  x: id,
  y: 1,
  disabled: false,
});
const windowOf = (night: boolean[]) => ({
  start: new Date(0),
  end: new Date(night.length * HOUR),
  hours: night.length,
  hourStarts: night.map((_, i) => i * HOUR),
  night,
});

Deno.test("priceWindow(): day price for every hour, plus the night surcharge for night hours", () => {
  const areas = new Map([[1, area(1, 10, 15)], [2, area(2, 8, null)]]);
  const p = priceWindow([seat(1, 1), seat(2, 2)], areas, windowOf([false, false, true, true]));
  assert.equal(p.basePrice, 10 * 4 + 8 * 4);
  assert.equal(p.nightSurcharge, (15 - 10) * 2, "an area without a night price has no surcharge");
  assert.equal(p.totalAmount, 82);
  assert.deepEqual(p.perSeat.map((s) => s.amount), [50, 32]);
});

Deno.test("priceWindow(): amounts rounded to cents, a cheaper night lowers the price", () => {
  const areas = new Map([[1, area(1, 0.1, 0.05)]]);
  const p = priceWindow([seat(1, 1)], areas, windowOf([false, true, true]));
  assert.equal(p.basePrice, 0.3);
  assert.equal(p.nightSurcharge, -0.1);
  assert.equal(p.totalAmount, 0.2);
});

Deno.test("a booking across midnight priced by the venue's night window (22:00-08:00, +08:00)", () => {
  const w = checkWindow(
    DEFAULT_HOURLY,
    { start: 0, end: Date.parse("2027-01-01T00:00:00Z") },
    { start: new Date("2026-12-01T20:00:00+08:00"), hours: 4 },
    Date.parse("2026-12-01T12:00:00+08:00"),
    undefined,
    "Asia/Shanghai",
  );
  const p = priceWindow([seat(1, 1)], new Map([[1, area(1, 10, 12)]]), w);
  assert.deepEqual(w.night, [false, false, true, true]);
  assert.equal(p.totalAmount, 10 * 4 + 2 * 2);
});

Deno.test("hourOfDay() and checkHourlySettings(): whole hours, 24:00 only where allowed", () => {
  assert.equal(hourOfDay("nightFrom", "22:00"), 22);
  assert.equal(hourOfDay("openTo", "24:00", true), 24);
  for (
    const [hhmm, allow24] of [["24:00", false], ["22:30", false], ["7:00", false], [
      "25:00",
      true,
    ]] as const
  ) {
    assert.throws(() => hourOfDay("f", hhmm, allow24), AppError, hhmm);
  }
  checkHourlySettings(DEFAULT_HOURLY);
  assert.throws(
    () => checkHourlySettings({ ...DEFAULT_HOURLY, openFrom: "08:00", openTo: "08:00" }),
    /openTo: must differ from openFrom/,
  );
  assert.throws(
    () => checkHourlySettings({ ...DEFAULT_HOURLY, nightTo: "08:30" }),
    /nightTo: a whole hour/,
  );
});
