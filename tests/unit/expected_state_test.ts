// The one model of what Redis should hold for a session (lib/ops/consistency/expected.ts): its
// pure rules, no store.
import assert from "node:assert/strict";
import {
  type ExpectedSession,
  expectedSlotStates,
  judgeReservation,
  missingReservations,
  withReservations,
} from "#lib/ops/consistency/expected.ts";
import { ORDER_STATUS } from "#lib/orders/status.ts";
import type { ReservationRecord } from "#lib/sale/session_rebuild.ts";

const NOW = 1_000_000;
const GRACE = 10_000;
const rec = (over: Partial<ReservationRecord> = {}): ReservationRecord => ({
  u: 7,
  t: 3,
  q: 2,
  st: "p",
  c: NOW - 60_000,
  s: [],
  ...over,
});

Deno.test("expectedSlotStates(): disabled wins, then the order's status, else free or held", () => {
  assert.deepEqual(expectedSlotStates(true, ORDER_STATUS.PAID), ["disabled"]);
  assert.deepEqual(expectedSlotStates(false, ORDER_STATUS.PAID), ["sold"]);
  assert.deepEqual(expectedSlotStates(false, ORDER_STATUS.PENDING_PAYMENT), ["pending"]);
  assert.deepEqual(expectedSlotStates(false, undefined), ["free", "held"]);
});

Deno.test("judgeReservation(): a record of an unpaid order must be unpaid and the same order", () => {
  assert.deepEqual(judgeReservation(rec(), rec(), 0, NOW, GRACE), { kind: "ok" });
  assert.deepEqual(judgeReservation(rec({ st: "s" }), rec(), 0, NOW, GRACE), {
    kind: "state",
    mysql: "pending",
    redis: "sold",
  });
  assert.deepEqual(judgeReservation(rec({ q: 3 }), rec(), 0, NOW, GRACE), {
    kind: "state",
    mysql: { u: 7, t: 3, q: 2 },
    redis: { u: 7, t: 3, q: 3 },
  });
});

Deno.test("judgeReservation(): sold records need a paid order; unpaid ones of a paid order lag", () => {
  const paid = ORDER_STATUS.PAID;
  assert.deepEqual(judgeReservation(rec({ st: "s" }), undefined, paid, NOW, GRACE), { kind: "ok" });
  assert.deepEqual(
    judgeReservation(rec({ st: "s" }), undefined, ORDER_STATUS.CANCELLED, NOW, GRACE),
    {
      kind: "state",
      mysql: ORDER_STATUS.CANCELLED,
      redis: "sold",
    },
  );
  assert.deepEqual(judgeReservation(rec(), undefined, paid, NOW, GRACE), {
    kind: "state",
    mysql: "paid",
    redis: "pending",
  });
});

Deno.test("judgeReservation(): no order yet is a create in flight within the grace, then stray", () => {
  assert.deepEqual(judgeReservation(rec({ c: NOW - 1_000 }), undefined, undefined, NOW, GRACE), {
    kind: "in-flight",
  });
  assert.deepEqual(judgeReservation(rec(), undefined, undefined, NOW, GRACE), {
    kind: "stray",
    mysql: null,
    redis: { u: 7, t: 3, q: 2, ageMs: 60_000 },
  });
  // A cancelled order's reservation is stray however young.
  assert.equal(
    judgeReservation(rec({ c: NOW }), undefined, ORDER_STATUS.CANCELLED, NOW, GRACE).kind,
    "stray",
  );
});

Deno.test("withReservations(): extra reservations lock stock, count for buyers, claim slots", () => {
  const expected: ExpectedSession = {
    tiers: [{ id: 3, total: 10, locked: 1, sold: 4, buyers: { "7": 1 } }, {
      id: 4,
      total: 5,
      locked: 0,
      sold: 0,
      buyers: {},
    }],
    reservations: { A1: rec({ q: 1, s: ["11"] }) },
    claims: { "11": "A1|p" },
    disabled: [],
    seatHours: { "7": 3 },
  };
  const extra = new Map([["B2", rec({ u: 8, s: ["12", "13"] })], [
    "C3",
    rec({ q: 0, s: ["14@5"] }),
  ]]);
  const want = withReservations(expected, extra);
  assert.deepEqual(want.tiers[0], {
    id: 3,
    total: 10,
    locked: 3,
    sold: 4,
    buyers: { "7": 1, "8": 2 },
  });
  assert.deepEqual(want.tiers[1], expected.tiers[1]);
  assert.deepEqual(want.claims, { "11": "A1|p", "12": "B2|p", "13": "B2|p", "14@5": "C3|p" });
  assert.deepEqual(want.seatHours, { "7": 4 }, "an hourly booking's seat-hours count");
  assert.deepEqual(expected.tiers[0].locked, 1, "the expectation itself is left as it is");
  assert.deepEqual(missingReservations(expected, new Map()).map(([no]) => no), ["A1"]);
  assert.deepEqual(missingReservations(expected, new Map([["A1", rec()]])), []);
});
