import assert from "node:assert/strict";
import {
  formatTime,
  offsetMinutes,
  parseTime,
  serviceTimeZone,
  useTimeZone,
  wallClock,
  wallToUtc,
} from "#lib/platform/time.ts";

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

Deno.test("parseTime: zone-less times mean the service's TIME_ZONE", () => {
  const before = serviceTimeZone();
  try {
    useTimeZone("Asia/Shanghai");
    assert.equal(serviceTimeZone(), "Asia/Shanghai");
    assert.equal(parseTime("2026-12-01 19:30:00")?.toISOString(), "2026-12-01T11:30:00.000Z");
    assert.equal(parseTime("2026-12-01")?.toISOString(), "2026-11-30T16:00:00.000Z");
    // An explicit offset wins over the service's zone.
    assert.equal(parseTime("2026-12-01T19:30:00Z")?.toISOString(), "2026-12-01T19:30:00.000Z");
    assert.equal(
      parseTime("2026-12-01T19:30:00-03:00")?.toISOString(),
      "2026-12-01T22:30:00.000Z",
    );
  } finally {
    useTimeZone(before);
  }
});

Deno.test("parseTime: offsets, fractions and letter case", () => {
  const utc = (s: string) => parseTime(s, "UTC")?.toISOString() ?? null;
  assert.equal(utc("2026-12-01t19:30:00z"), "2026-12-01T19:30:00.000Z");
  assert.equal(utc(" 2026-12-01 19:30:00 "), "2026-12-01T19:30:00.000Z");
  assert.equal(utc("2026-12-01T19:30:00.123456789Z"), "2026-12-01T19:30:00.123Z");
  assert.equal(utc("2026-12-01T19:30:00.5+00:00"), "2026-12-01T19:30:00.500Z");
  assert.equal(utc("2026-12-01T19:30:00+05:45"), "2026-12-01T13:45:00.000Z");
  assert.equal(utc("2026-12-01T00:00:00+14:00"), "2026-11-30T10:00:00.000Z");
  assert.equal(utc("2026-12-01T00:00:00+14:01"), null);
  assert.equal(utc("2028-02-29"), "2028-02-29T00:00:00.000Z");
  assert.equal(utc("2027-02-29"), null);
  assert.equal(utc("2200-12-31"), "2200-12-31T00:00:00.000Z");
  assert.equal(utc("2201-01-01"), null);
  assert.equal(utc("2026-12-01 19:60:00"), null);
  assert.equal(utc("2026-12-01 19:30:60"), null);
  assert.equal(utc("2026-12-01T19"), null);
});

Deno.test("time: a DST-free zone keeps one offset all year", () => {
  for (const iso of ["2026-01-15T12:00:00Z", "2026-07-15T12:00:00Z", "2026-03-08T07:30:00Z"]) {
    const ms = Date.parse(iso);
    assert.equal(offsetMinutes(ms, "Asia/Shanghai"), 480, iso);
    assert.equal(formatTime(new Date(ms), "Asia/Shanghai")?.slice(19), "+08:00");
  }
  // Wall clock and instant convert both ways, across midnight.
  const wall = Date.UTC(2026, 11, 1, 1, 30);
  assert.equal(
    new Date(wallToUtc(wall, "Asia/Shanghai")).toISOString(),
    "2026-11-30T17:30:00.000Z",
  );
  const w = wallClock(new Date("2026-11-30T17:30:00Z"), "Asia/Shanghai");
  assert.deepEqual(w, {
    year: 2026,
    month: 12,
    day: 1,
    hour: 1,
    minute: 30,
    second: 0,
    date: "2026-12-01",
  });
});

Deno.test("time: a zone with daylight saving changes offset, a half-hour zone keeps minutes", () => {
  assert.equal(offsetMinutes(Date.parse("2026-01-15T12:00:00Z"), "America/New_York"), -300);
  assert.equal(offsetMinutes(Date.parse("2026-07-15T12:00:00Z"), "America/New_York"), -240);
  assert.equal(
    formatTime(new Date("2026-01-15T12:00:00Z"), "America/New_York"),
    "2026-01-15T07:00:00-05:00",
  );
  // Next to the change (2026-03-08 02:00 → 03:00 in New York) the two passes settle the offset.
  assert.equal(
    parseTime("2026-03-08 01:30:00", "America/New_York")?.toISOString(),
    "2026-03-08T06:30:00.000Z",
  );
  assert.equal(
    parseTime("2026-03-08 03:30:00", "America/New_York")?.toISOString(),
    "2026-03-08T07:30:00.000Z",
  );
  assert.equal(
    formatTime(new Date("2026-12-01T00:00:00Z"), "Asia/Kolkata"),
    "2026-12-01T05:30:00+05:30",
  );
  assert.equal(
    formatTime(new Date("2026-12-01T00:00:00Z"), "America/St_Johns"),
    "2026-11-30T20:30:00-03:30",
  );
  // UTC by another name still gets a numeric offset; only "UTC" is written with Z.
  assert.equal(
    formatTime(new Date("2026-12-01T00:00:00Z"), "Etc/UTC"),
    "2026-12-01T00:00:00+00:00",
  );
  assert.equal(formatTime(undefined, "UTC"), null);
});
