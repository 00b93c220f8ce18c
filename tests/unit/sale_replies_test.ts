import assert from "node:assert/strict";
import { HOLD, refusalError, refusalOf, RESERVE, seatUnavailable } from "#lib/sale/replies.ts";

import holdSeats from "../../lua/hold-seats.lua" with { type: "text" };
import reserve from "../../lua/reserve.lua" with { type: "text" };

Deno.test("reply codes: each named code is in its script's header", () => {
  for (const [name, code] of Object.entries(RESERVE)) {
    const named = name === "RESERVED" || name === "ALREADY" ? "" : name;
    assert.match(reserve, new RegExp(`^ +${code}, .*${named}`, "m"), `reserve ${name}`);
  }
  for (const [name, code] of Object.entries(HOLD)) {
    const named = name === "HELD" ? "" : name;
    assert.match(holdSeats, new RegExp(`^ +${code}, .*${named}`, "m"), `hold-seats ${name}`);
  }
});

Deno.test("refusalOf: the refusal codes, with their detail; others are not refusals", () => {
  assert.deepEqual(refusalOf(RESERVE.SOLD_OUT, 3), { code: "SOLD_OUT", available: 3 });
  assert.deepEqual(refusalOf(RESERVE.LIMIT_EXCEEDED, "4"), { code: "LIMIT_EXCEEDED", held: 4 });
  assert.deepEqual(refusalOf(HOLD.SEAT_UNAVAILABLE, "11,12@2026113020"), {
    code: "SEAT_UNAVAILABLE",
    slots: ["11", "12@2026113020"],
  });
  assert.equal(refusalOf(RESERVE.RESERVED, 5), null);
  assert.equal(refusalOf(RESERVE.NOT_READY, 0), null);
  assert.equal(refusalOf(-9, 0), null);
});

Deno.test("refusalError: an order's refusals name the tier and the limit", () => {
  const order = { kind: "order", ticketId: 7, limit: 4 } as const;
  const left = refusalError({ code: "SOLD_OUT", available: 2 }, order);
  assert.equal(left.status, 409);
  assert.equal(left.message, "only 2 tickets of tier 7 are left");
  assert.deepEqual(left.detail, { available: 2 });
  assert.equal(
    refusalError({ code: "SOLD_OUT", available: 0 }, order).message,
    "tier 7 is sold out",
  );
  const limit = refusalError({ code: "LIMIT_EXCEEDED", held: 3 }, order);
  assert.equal(limit.code, "LIMIT_EXCEEDED");
  assert.equal(limit.message, "at most 4 tickets of tier 7 per buyer; you have 3");
  assert.deepEqual(limit.detail, { limit: 4, held: 3 });
});

Deno.test("refusalError: a hold's limit names the cap; seats in the way are listed", () => {
  const limit = refusalError({ code: "LIMIT_EXCEEDED", held: 10 }, { kind: "hold", cap: 10 });
  assert.equal(limit.message, "at most 10 held at once per buyer in this session; you hold 10");
  assert.deepEqual(limit.detail, { limit: 10, held: 10 });
  const seats = refusalError({ code: "SEAT_UNAVAILABLE", slots: ["11", "12"] }, {
    kind: "hold",
    cap: 10,
  });
  assert.equal(seats.code, "SEAT_UNAVAILABLE");
  assert.equal(seats.message, "seats not available: 11, 12");
  assert.deepEqual(seats.detail, { seats: ["11", "12"] });
  assert.deepEqual(seatUnavailable(["11", "12"]), seats);
});

Deno.test("refusalError: the hourly seat-hour cap, from a reserve or a hold, names the cap", () => {
  assert.deepEqual(refusalOf(RESERVE.SEAT_HOURS_EXCEEDED, "238"), {
    code: "SEAT_HOURS_EXCEEDED",
    had: 238,
  });
  const order = { kind: "order", ticketId: 7, limit: 4, seatHourCap: 240 } as const;
  const booked = refusalError({ code: "SEAT_HOURS_EXCEEDED", had: 238 }, order);
  assert.equal(booked.code, "LIMIT_EXCEEDED");
  assert.equal(
    booked.message,
    "at most 240 seat-hours per buyer in this session, held or in unpaid orders; you have 238",
  );
  assert.deepEqual(booked.detail, { limit: 240, held: 238 });
  const held = refusalError(
    { code: "LIMIT_EXCEEDED", held: 238 },
    { kind: "hold", cap: 240, seatHours: true },
  );
  assert.deepEqual([held.code, held.message], [booked.code, booked.message]);
});
