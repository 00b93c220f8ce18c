// Slots as values: encoding, decoding read-slots.lua's reply, the SEAT_UNAVAILABLE refusal. No store.
import assert from "node:assert/strict";
import { AppError } from "#lib/platform/errors.ts";
import { seatUnavailable } from "#lib/sale/replies.ts";
import { decodeSlotStates, FREE, parseSlot, slotOf, strayHoldReason } from "#lib/seating/slots.ts";

Deno.test("slotOf() and parseSlot(): a seat, and a seat-hour by the minute of its start", () => {
  const hour = Date.parse("2026-12-01T14:00:00Z");
  assert.equal(slotOf(12), "12");
  assert.equal(slotOf(12, hour), `12@${hour / 60_000}`);
  assert.deepEqual(parseSlot(slotOf(12, hour)), { seatId: 12, hourStart: hour });
  assert.deepEqual(parseSlot("12"), { seatId: 12, hourStart: null });
  for (const bad of ["", "x", "12@", "@5", "12@5@6", "-1"]) assert.equal(parseSlot(bad), null, bad);
});

Deno.test("decodeSlotStates(): only the slots that are not free are listed, by position", () => {
  const states = decodeSlotStates(
    [1, "2,h,7,1764597600000;4,s,,;5,d,,"],
    5,
  );
  assert.deepEqual(states, [
    FREE,
    { state: "held", holder: 7, expireAt: 1764597600000 },
    FREE,
    { state: "sold", holder: null, expireAt: null },
    { state: "disabled", holder: null, expireAt: null },
  ]);
  assert.deepEqual(decodeSlotStates([1, ""], 2), [FREE, FREE]);
  assert.deepEqual(decodeSlotStates([1, "1,p,,"], 1), [
    { state: "pending", holder: null, expireAt: null },
  ]);
});

Deno.test("seatUnavailable(): one message, naming the slots or their descriptions", () => {
  const plain = seatUnavailable(["3", "4"]);
  assert.ok(plain instanceof AppError);
  assert.equal(plain.code, "SEAT_UNAVAILABLE");
  assert.equal(plain.status, 409);
  assert.equal(plain.message, "seats not available: 3, 4");
  assert.deepEqual(plain.detail, { seats: ["3", "4"] });
  const named = seatUnavailable(["3@1"], ["A-01-03 2026-12-01 22:00-23:00"]);
  assert.equal(named.message, "seats not available: A-01-03 2026-12-01 22:00-23:00");
  assert.deepEqual(named.detail, { seats: ["3@1"], hours: ["A-01-03 2026-12-01 22:00-23:00"] });
});

Deno.test("strayHoldReason(): a hold without TTL, on a claimed slot or a disabled seat", () => {
  assert.equal(strayHoldReason(5_000, { claim: null, disabled: false }), null);
  assert.equal(strayHoldReason(-1, { claim: null, disabled: false }), "no expiry");
  assert.equal(strayHoldReason(5_000, { claim: "B1|p", disabled: true }), "slot in order B1|p");
  assert.equal(strayHoldReason(5_000, { claim: null, disabled: true }), "seat disabled");
});
