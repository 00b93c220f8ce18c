/**
 * The reply codes of the sale scripts of `lua/`, named once (each map mirrors the "Returns" of
 * its script's header), and the one place a refusal becomes an AppError.
 */
import { AppError } from "#lib/platform/errors.ts";

/** lua/reserve.lua: `{ code, detail }`. */
export const RESERVE = {
  RESERVED: 1,
  DUPLICATE: 2,
  ALREADY: 3,
  NOT_READY: 0,
  SOLD_OUT: -1,
  LIMIT_EXCEEDED: -2,
  SEAT_UNAVAILABLE: -3,
  SEAT_HOURS_EXCEEDED: -4,
} as const;

/** lua/hold-seats.lua: `{ code, detail }`. */
export const HOLD = {
  HELD: 1,
  NOT_READY: 0,
  LIMIT_EXCEEDED: -2,
  SEAT_UNAVAILABLE: -3,
} as const;

/** lua/hold-best-seats.lua: `{ code, detail, seat indices... }`. */
export const HOLD_BEST = {
  HELD: 1,
  NOT_READY: 0,
  LIMIT_EXCEEDED: -2,
  NOTHING_SUITABLE: -3,
} as const;

/** lua/read-slots.lua: the first element of the reply. */
export const READ_SLOTS = { READ: 1, NOT_READY: 0 } as const;

/** lua/adopt-reservation.lua. */
export const ADOPT = { ADOPTED: 1, NOTHING_TO_DO: 0, NOT_READY: 2 } as const;

/** lua/release.lua. */
export const RELEASE = { RELEASED: 1, NOTHING_RESERVED: 0, SOLD: -1 } as const;

/** lua/confirm.lua. */
export const CONFIRM = { CONFIRMED: 1, OLD_SOLD_RECORD: 2, NO_RESERVATION: 0 } as const;

/** lua/rebuild-session.lua: the first element of the reply. */
export const REBUILD = { REBUILT: 1, LOCK_NOT_OURS: 0 } as const;

/** lua/release-lock.lua. */
export const RELEASE_LOCK = { DELETED: 1, NOT_OURS: 0 } as const;

/** A script's answer that the session's state is not built: rebuild it from MySQL, then retry. */
export const NOT_BUILT: unique symbol = Symbol("session state not built");
export type NotBuilt = typeof NOT_BUILT;

/** Why reserve.lua or hold-seats.lua refused, with the detail it sent. */
export type Refusal =
  | { code: "SOLD_OUT"; available: number }
  | { code: "LIMIT_EXCEEDED"; held: number }
  | { code: "SEAT_UNAVAILABLE"; slots: string[] }
  /** An hourly booking past the buyer's seat-hour cap; `had`: held and booked before it. */
  | { code: "SEAT_HOURS_EXCEEDED"; had: number };

/** The refusal a reply code stands for (the same codes in reserve.lua and hold-seats.lua). */
export function refusalOf(code: number, detail: number | string): Refusal | null {
  switch (code) {
    case RESERVE.SOLD_OUT:
      return { code: "SOLD_OUT", available: Number(detail) };
    case RESERVE.LIMIT_EXCEEDED:
      return { code: "LIMIT_EXCEEDED", held: Number(detail) };
    case RESERVE.SEAT_UNAVAILABLE:
      return { code: "SEAT_UNAVAILABLE", slots: String(detail).split(",") };
    case RESERVE.SEAT_HOURS_EXCEEDED:
      return { code: "SEAT_HOURS_EXCEEDED", had: Number(detail) };
    default:
      return null;
  }
}

/** What the refused call was about, for the message. */
export type RefusalContext =
  | { kind: "order"; ticketId: number; limit: number; seatHourCap?: number }
  | { kind: "hold"; cap: number; seatHours?: boolean };

/** The one translation of a script refusal into the error the buyer gets (409). */
export function refusalError(refusal: Refusal, context: RefusalContext): AppError {
  switch (refusal.code) {
    case "SOLD_OUT": {
      const tier = context.kind === "order" ? `tier ${context.ticketId}` : "the tier";
      return new AppError(
        "SOLD_OUT",
        refusal.available > 0
          ? `only ${refusal.available} tickets of ${tier} are left`
          : `${tier} is sold out`,
        { detail: { available: refusal.available } },
      );
    }
    case "LIMIT_EXCEEDED":
      return context.kind === "order"
        ? new AppError(
          "LIMIT_EXCEEDED",
          `at most ${context.limit} tickets of tier ${context.ticketId} per buyer; you have ${refusal.held}`,
          { detail: { limit: context.limit, held: refusal.held } },
        )
        : context.seatHours
        ? seatHoursExceeded(context.cap, refusal.held)
        : new AppError(
          "LIMIT_EXCEEDED",
          `at most ${context.cap} held at once per buyer in this session; you hold ${refusal.held}`,
          { detail: { limit: context.cap, held: refusal.held } },
        );
    case "SEAT_UNAVAILABLE":
      return seatUnavailable(refusal.slots);
    case "SEAT_HOURS_EXCEEDED":
      return seatHoursExceeded(
        context.kind === "order" ? context.seatHourCap ?? 0 : context.cap,
        refusal.had,
      );
  }
}

/** 409 LIMIT_EXCEEDED of the hourly cap (HOURLY_MAX_SEAT_HOURS): holds and unpaid orders. */
function seatHoursExceeded(cap: number, had: number): AppError {
  return new AppError(
    "LIMIT_EXCEEDED",
    `at most ${cap} seat-hours per buyer in this session, held or in unpaid orders; you have ${had}`,
    { detail: { limit: cap, held: had } },
  );
}

/**
 * 409 SEAT_UNAVAILABLE naming the seats (or seat-hours) in the way: the one place its message is
 * written. `named` replaces the slots in the message (seat codes and hours, for bookings by the
 * hour) and travels as `detail.hours`.
 */
export function seatUnavailable(slots: string[], named?: string[]): AppError {
  return new AppError("SEAT_UNAVAILABLE", `seats not available: ${(named ?? slots).join(", ")}`, {
    detail: named ? { seats: slots, hours: named } : { seats: slots },
  });
}
