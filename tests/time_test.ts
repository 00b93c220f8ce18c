import assert from "node:assert/strict";
import { formatTime, parseTime, wallClock } from "#lib/platform/time.ts";

Deno.test("parseTime: the accepted forms", () => {
  const utc = (s: string, tz = "UTC") => parseTime(s, tz)?.toISOString() ?? null;
  assert.equal(utc("2026-12-01 19:30:00"), "2026-12-01T19:30:00.000Z");
  assert.equal(utc("2026-12-01T19:30:00"), "2026-12-01T19:30:00.000Z");
  assert.equal(utc("2026-12-01T19:30"), "2026-12-01T19:30:00.000Z");
  assert.equal(utc("2026-12-01T19:30:00.250Z"), "2026-12-01T19:30:00.250Z");
  assert.equal(utc("2026-12-01T19:30:00+08:00"), "2026-12-01T11:30:00.000Z");
  assert.equal(utc("2026-12-01T19:30:00-0530"), "2026-12-02T01:00:00.000Z");
  assert.equal(utc("2026-12-01"), "2026-12-01T00:00:00.000Z");
  assert.equal(utc("2026-12-01 19:30:00", "Asia/Shanghai"), "2026-12-01T11:30:00.000Z");
  // Daylight saving: 2026-07-01 in New York is UTC-4.
  assert.equal(utc("2026-07-01 12:00:00", "America/New_York"), "2026-07-01T16:00:00.000Z");
});

Deno.test("parseTime: refuses what is not a real time", () => {
  for (
    const s of [
      "",
      "tomorrow",
      "2026-02-30 10:00:00",
      "2026-13-01",
      "2026-12-01 24:00:00",
      "2026-12-01T10:00:00+25:00",
      "1969-12-31",
      "12/01/2026",
    ]
  ) {
    assert.equal(parseTime(s, "UTC"), null, s);
  }
});

Deno.test("formatTime: ISO-8601 with the zone's offset", () => {
  const d = new Date("2026-12-01T11:30:00.999Z");
  assert.equal(formatTime(d, "UTC"), "2026-12-01T11:30:00Z");
  assert.equal(formatTime(d, "Asia/Shanghai"), "2026-12-01T19:30:00+08:00");
  assert.equal(
    formatTime(new Date("2026-07-01T16:00:00Z"), "America/New_York"),
    "2026-07-01T12:00:00-04:00",
  );
  assert.equal(formatTime(null, "UTC"), null);
  assert.equal(wallClock(d, "Asia/Shanghai").date, "2026-12-01");
  assert.equal(wallClock(new Date("2026-12-01T17:00:00Z"), "Asia/Shanghai").date, "2026-12-02");
});
