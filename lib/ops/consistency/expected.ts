/**
 * What Redis should hold for a session: the one model the consistency checkers share (audit.ts,
 * reconcile.ts and the seat verify of seats.ts).
 *
 * The state is what MySQL, the system of record, says: the document the session rebuild writes
 * (readSessionState), so a checker compares Redis with exactly what a rebuild would put there.
 * On top of it, pure rules: which live states a slot may have, how a reservation record stands
 * against its order, and the expectation once reservations still being committed (or stray) are
 * counted as reservations of their own.
 *
 * ```ts
 * const expected = await expectedSession(ctx, sessionId);
 * expectedSlotStates(false, ORDER_STATUS.PAID); // ["sold"]
 * ```
 */
import type { AppContext } from "#lib/platform/context.ts";
import { ORDER_STATUS } from "#lib/orders/status.ts";
import {
  readSessionState,
  type ReservationRecord,
  type SessionState,
  unpaidSeatHours,
} from "#lib/sale/session_rebuild.ts";
import type { SlotState } from "#lib/seating/slots.ts";

export type ExpectedSession = SessionState;
export type ExpectedTier = SessionState["tiers"][number];

/** What Redis should hold for the session, read from MySQL in one consistent snapshot. */
export function expectedSession(ctx: AppContext, sessionId: number): Promise<ExpectedSession> {
  return readSessionState(ctx, sessionId);
}

/**
 * The live states a slot may have, given MySQL: its seat disabled, its order's status (none when
 * no unpaid or paid order claims it). A hold lives in Redis only, so a free slot may be held.
 */
export function expectedSlotStates(
  disabled: boolean,
  orderStatus: number | undefined,
): SlotState["state"][] {
  if (disabled) return ["disabled"];
  if (orderStatus !== undefined) {
    return [orderStatus === ORDER_STATUS.PAID ? "sold" : "pending"];
  }
  return ["free", "held"];
}

/** How a reservation record in Redis stands against its order in MySQL. */
export type ReservationVerdict =
  | { kind: "ok" }
  /** Reserved in Redis, no order row yet, younger than the grace period: a create committing. */
  | { kind: "in-flight" }
  /** Reserved for an order that is not unpaid (or not there) past the grace period. */
  | {
    kind: "stray";
    mysql: number | null;
    redis: { u: number; t: number; q: number; ageMs: number };
  }
  /** The record disagrees with its order: sold vs unpaid, or another buyer, tier or quantity. */
  | { kind: "state"; mysql: unknown; redis: unknown };

/**
 * Judges one record. `pending` is the unpaid order's record as MySQL has it (when the order is
 * unpaid), `status` the order's status otherwise (undefined: no such order).
 */
export function judgeReservation(
  record: ReservationRecord,
  pending: ReservationRecord | undefined,
  status: number | undefined,
  now: number,
  graceMs: number,
): ReservationVerdict {
  const { u, t, q } = record;
  if (pending) {
    if (record.st !== "p") {
      return { kind: "state", mysql: "pending", redis: record.st === "s" ? "sold" : record.st };
    }
    if (q !== pending.q || u !== pending.u || t !== pending.t) {
      return {
        kind: "state",
        mysql: { u: pending.u, t: pending.t, q: pending.q },
        redis: { u, t, q },
      };
    }
    return { kind: "ok" };
  }
  // A paid order's record as older versions kept it (confirm now drops it); else wrong.
  if (record.st === "s") {
    return status === ORDER_STATUS.PAID
      ? { kind: "ok" }
      : { kind: "state", mysql: status ?? null, redis: "sold" };
  }
  // Paid in MySQL, still unpaid here: its confirm is missing (or a compensation pending).
  if (status === ORDER_STATUS.PAID) return { kind: "state", mysql: "paid", redis: "pending" };
  if (status === undefined && record.c > now - graceMs) return { kind: "in-flight" };
  return { kind: "stray", mysql: status ?? null, redis: { u, t, q, ageMs: now - record.c } };
}

/** Unpaid orders of the session whose reservation Redis does not hold. */
export function missingReservations(
  expected: ExpectedSession,
  records: ReadonlyMap<string, ReservationRecord>,
): [string, ReservationRecord][] {
  return Object.entries(expected.reservations).filter(([no]) => !records.has(no));
}

/**
 * The expectation with reservations MySQL does not know (creates still committing, strays)
 * counted as reservations of their own: their tickets locked and counted for their buyers, their
 * slots claimed. So one stray is one difference, not also a tier, a buyers and a claim one.
 */
export function withReservations(
  expected: ExpectedSession,
  extra: ReadonlyMap<string, ReservationRecord>,
): {
  tiers: ExpectedTier[];
  claims: Record<string, string>;
  seatHours: Record<string, number>;
} {
  const tiers = expected.tiers.map((tier) => {
    const mine = [...extra.values()].filter((r) => r.t === tier.id);
    const buyers: Record<string, number> = { ...tier.buyers };
    for (const r of mine) {
      if (r.q > 0) buyers[String(r.u)] = (buyers[String(r.u)] ?? 0) + r.q;
    }
    return { ...tier, locked: tier.locked + mine.reduce((n, r) => n + r.q, 0), buyers };
  });
  const claims: Record<string, string> = { ...expected.claims };
  for (const [no, r] of extra) for (const slot of r.s ?? []) claims[slot] = `${no}|p`;
  const seatHours: Record<string, number> = { ...expected.seatHours };
  for (const [u, n] of Object.entries(unpaidSeatHours(extra.values()))) {
    seatHours[u] = (seatHours[u] ?? 0) + n;
  }
  return { tiers, claims, seatHours };
}
