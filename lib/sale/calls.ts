/**
 * Typed calls of the sale scripts of `lua/`: each lays out its keys in the session's hash tag,
 * sends its arguments and names the reply (see replies.ts). No policy here: a session that is
 * not built comes back as NOT_BUILT, a refusal as a Refusal; the callers decide what follows.
 */
import type { AppContext } from "#lib/platform/context.ts";
import {
  ADOPT,
  CONFIRM,
  HOLD,
  HOLD_BEST,
  NOT_BUILT,
  type NotBuilt,
  READ_SLOTS,
  REBUILD,
  type Refusal,
  refusalOf,
  RELEASE,
  RELEASE_LOCK,
  RESERVE,
} from "./replies.ts";

export interface ReserveInput {
  orderNo: string;
  userId: number;
  sessionId: number;
  ticketId: number;
  /** Tickets counted against stock and limit (0 for an hourly booking). */
  quantity: number;
  limit: number;
  /** Seat ids, or "seatId@hour" seat-hours. */
  slots: string[];
  /** Name of the buyer's dedup key (an Idempotency-Key or a request fingerprint), if any. */
  dedupKey?: string;
  dedupTtlMs: number;
  /**
   * An hourly booking (quantity 0): most seat-hours the buyer may hold and have in unpaid orders
   * of the session, this order's included.
   */
  seatHourCap?: number;
}

export type ReserveReply =
  /**
   * `reservedAtUs`: Redis's time of the reservation (adopt-reservation.lua compares it);
   * `generation`: the rebuild the session's state comes from (0: not said).
   */
  | { outcome: "reserved"; available: number; reservedAtUs: number; generation: number }
  | { outcome: "already" }
  | { outcome: "duplicate"; firstOrderNo: string }
  | { outcome: "refused"; refusal: Refusal };

/** Where a reservation lives and whose it is: enough to release or confirm it. */
export interface ReservationRef {
  orderNo: string;
  sessionId: number;
  ticketId: number;
  /** The buyer: a release names them, and gives back nothing that is not theirs. */
  userId: number;
}

/** lua/reserve.lua. */
export async function reserveScript(
  ctx: AppContext,
  input: ReserveInput,
): Promise<ReserveReply | NotBuilt> {
  const k = ctx.keys;
  const s = input.sessionId;
  const keys = [
    k.sessionReady(s),
    k.tier(s, input.ticketId),
    k.tierBuyers(s, input.ticketId),
    k.reservations(s),
    k.claims(s),
    k.disabledSeats(s),
    input.dedupKey ? k.dedup(s, input.userId, input.dedupKey) : k.noDedup(s, input.userId),
    k.unpaidSeatHours(s),
    ...input.slots.map((slot) => k.hold(s, slot)),
    k.sessionGeneration(s),
    k.heldBy(s, input.userId),
  ];
  const args = [
    input.orderNo,
    input.userId,
    input.ticketId,
    input.quantity,
    input.limit,
    input.seatHourCap ?? 0,
    input.dedupKey ? input.dedupTtlMs : 0,
    ...input.slots,
  ];
  type Reply = [number, number | string, number, number];
  const [code, detail, at, generation] = await ctx.scripts.run<Reply>("reserve", keys, args);
  switch (code) {
    case RESERVE.RESERVED: {
      const reservedAtUs = Number(at);
      return { outcome: "reserved", available: Number(detail), reservedAtUs, generation };
    }
    case RESERVE.ALREADY:
      return { outcome: "already" };
    case RESERVE.DUPLICATE:
      return { outcome: "duplicate", firstOrderNo: String(detail) };
    case RESERVE.NOT_READY:
      return NOT_BUILT;
  }
  const refusal = refusalOf(code, detail);
  if (!refusal) throw new Error(`reserve.lua returned an unknown code ${code}`);
  return { outcome: "refused", refusal };
}

export type AdoptInput = Pick<
  ReserveInput,
  "orderNo" | "userId" | "sessionId" | "ticketId" | "quantity" | "slots"
>;

/**
 * lua/adopt-reservation.lua: true when something was adopted. `reservedAtUs` is Redis's time of
 * the reservation (the reserve's reply).
 */
export async function adoptScript(
  ctx: AppContext,
  input: AdoptInput,
  reservedAtUs: number,
): Promise<boolean | NotBuilt> {
  const k = ctx.keys;
  const s = input.sessionId;
  const code = await ctx.scripts.run<number>(
    "adopt-reservation",
    [
      k.sessionReady(s),
      k.tier(s, input.ticketId),
      k.tierBuyers(s, input.ticketId),
      k.reservations(s),
      k.claims(s),
      k.unpaidSeatHours(s),
    ],
    [input.orderNo, input.userId, input.ticketId, input.quantity, reservedAtUs, ...input.slots],
  );
  if (code === ADOPT.NOT_READY) return NOT_BUILT;
  return code === ADOPT.ADOPTED;
}

/** lua/release.lua: true when something was released. */
export async function releaseScript(ctx: AppContext, ref: ReservationRef): Promise<boolean> {
  const k = ctx.keys;
  const s = ref.sessionId;
  const code = await ctx.scripts.run<number>(
    "release",
    [
      k.tier(s, ref.ticketId),
      k.tierBuyers(s, ref.ticketId),
      k.reservations(s),
      k.claims(s),
      k.unpaidSeatHours(s),
    ],
    [ref.orderNo, ref.userId],
  );
  return code === RELEASE.RELEASED;
}

/** lua/confirm.lua: true when something changed. */
export async function confirmScript(ctx: AppContext, ref: ReservationRef): Promise<boolean> {
  const k = ctx.keys;
  const s = ref.sessionId;
  const code = await ctx.scripts.run<number>(
    "confirm",
    [k.tier(s, ref.ticketId), k.reservations(s), k.claims(s), k.unpaidSeatHours(s)],
    [ref.orderNo],
  );
  return code === CONFIRM.CONFIRMED;
}

/** The keys hold-seats.lua starts with: session state, then one hold per slot. */
function slotKeys(ctx: AppContext, sessionId: number, slots: string[]): string[] {
  const k = ctx.keys;
  return [
    k.sessionReady(sessionId),
    k.claims(sessionId),
    k.disabledSeats(sessionId),
    ...slots.map((slot) => k.hold(sessionId, slot)),
  ];
}

/** lua/read-slots.lua: its reply as sent (`{ 1, "index,state,..." }`); `slots` joined by ",". */
export async function readSlotsScript(
  ctx: AppContext,
  sessionId: number,
  slots: string,
): Promise<(string | number)[] | NotBuilt> {
  const k = ctx.keys;
  const reply = await ctx.scripts.run<(string | number)[]>(
    "read-slots",
    [
      k.sessionReady(sessionId),
      k.claims(sessionId),
      k.disabledSeats(sessionId),
      k.sessionHolds(sessionId),
    ],
    [ctx.now(), k.hold(sessionId, ""), slots],
  );
  return reply[0] === READ_SLOTS.NOT_READY ? NOT_BUILT : reply;
}

export interface HoldInput {
  userId: number;
  sessionId: number;
  slots: string[];
  holdMs: number;
  /** Most slots the buyer may hold in the session at once (with seat-hours in unpaid orders). */
  cap: number;
}

export type HoldReply =
  | { outcome: "held"; expireAt: number }
  | { outcome: "refused"; refusal: Refusal };

/** lua/hold-seats.lua. */
export async function holdSeatsScript(
  ctx: AppContext,
  input: HoldInput,
): Promise<HoldReply | NotBuilt> {
  const { userId, sessionId, slots } = input;
  const keys = [
    ...slotKeys(ctx, sessionId, slots),
    ctx.keys.heldBy(sessionId, userId),
    ctx.keys.sessionHolds(sessionId),
    ctx.keys.unpaidSeatHours(sessionId),
  ];
  const args = [userId, ctx.now(), input.holdMs, input.cap, ...slots];
  const [code, detail] = await ctx.scripts.run<[number, number | string]>(
    "hold-seats",
    keys,
    args,
  );
  if (code === HOLD.HELD) return { outcome: "held", expireAt: Number(detail) };
  if (code === HOLD.NOT_READY) return NOT_BUILT;
  const refusal = refusalOf(code, detail);
  if (!refusal) throw new Error(`hold-seats.lua returned an unknown code ${code}`);
  return { outcome: "refused", refusal };
}

export interface HoldBestInput {
  userId: number;
  sessionId: number;
  /** Hold keys are per slot: the seat ids, and per seat the suffixes of the window's hours. */
  seatIds: number[];
  /** "" for a seat; "@<minute>" per hour of an hourly window. */
  suffixes: string[];
  holdMs: number;
  cap: number;
  count: number;
  adjacent: boolean;
  /** The ranked candidates (lib/seating/best.ts): seats, block starts and seat order. */
  candidates: (string | number)[];
}

export type HoldBestReply =
  | { outcome: "held"; expireAt: number; seatIndices: number[] }
  | { outcome: "nothing-suitable" }
  | { outcome: "refused"; refusal: Refusal };

/** lua/hold-best-seats.lua; seat indices are 0-based into `seatIds`. */
export async function holdBestSeatsScript(
  ctx: AppContext,
  input: HoldBestInput,
): Promise<HoldBestReply | NotBuilt> {
  const k = ctx.keys;
  const sid = input.sessionId;
  const keys = [
    k.sessionReady(sid),
    k.claims(sid),
    k.disabledSeats(sid),
    ...input.seatIds.flatMap((id) => input.suffixes.map((x) => k.hold(sid, `${id}${x}`))),
    k.heldBy(sid, input.userId),
    k.sessionHolds(sid),
    k.unpaidSeatHours(sid),
  ];
  const args: (string | number)[] = [
    input.userId,
    ctx.now(),
    input.holdMs,
    input.cap,
    input.count,
    input.adjacent ? 1 : 0,
    input.seatIds.length,
    input.suffixes.length,
    ...input.suffixes,
    ...input.candidates,
  ];
  const reply = await ctx.scripts.run<(number | string)[]>("hold-best-seats", keys, args);
  const [code, detail] = reply;
  switch (code) {
    case HOLD_BEST.HELD:
      return {
        outcome: "held",
        expireAt: Number(detail),
        seatIndices: reply.slice(2).map((i) => Number(i) - 1),
      };
    case HOLD_BEST.NOT_READY:
      return NOT_BUILT;
    case HOLD_BEST.NOTHING_SUITABLE:
      return { outcome: "nothing-suitable" };
    case HOLD_BEST.LIMIT_EXCEEDED:
      return { outcome: "refused", refusal: { code: "LIMIT_EXCEEDED", held: Number(detail) } };
    default:
      throw new Error(`hold-best-seats.lua returned an unknown code ${code}`);
  }
}

/** lua/release-holds.lua: the number of the buyer's holds released. */
export async function releaseHoldsScript(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  slots: string[],
): Promise<number> {
  const keys = [
    ...slots.map((slot) => ctx.keys.hold(sessionId, slot)),
    ctx.keys.heldBy(sessionId, userId),
    ctx.keys.sessionHolds(sessionId),
  ];
  return await ctx.scripts.run<number>("release-holds", keys, [userId, ...slots]);
}

/** What Redis must hold for one session (rebuild-session.lua's document). */
export interface SessionState {
  tiers: {
    id: number;
    total: number;
    locked: number;
    sold: number;
    buyers: Record<string, number>;
  }[];
  reservations: Record<string, ReservationRecord>;
  claims: Record<string, string>;
  disabled: string[];
  /** userId → seat-hours in the buyer's unpaid hourly bookings (their records, q 0). */
  seatHours: Record<string, number>;
}

/** A reservation as lua/reserve.lua records it. */
export interface ReservationRecord {
  /** buyer */
  u: number;
  /** ticket (tier) */
  t: number;
  /** tickets counted against the tier's stock */
  q: number;
  /** "p" pending, "s" sold */
  st: "p" | "s";
  /** created, ms since the epoch */
  c: number;
  /** slots: seat ids, or "seatId@hour" for hourly bookings */
  s: string[];
}

/**
 * lua/rebuild-session.lua: false when the lock is not ours (nothing written). The keys expire at
 * `expiry.at` (ms since the epoch), and live at least `expiry.minMs` from now.
 */
export async function rebuildSessionScript(
  ctx: AppContext,
  sessionId: number,
  lock: { key: string; token: string },
  state: SessionState,
  expiry: { at: number; minMs: number },
  generation: number,
): Promise<boolean> {
  const keys = ctx.keys;
  const tierKeys = state.tiers.flatMap((t) => [
    keys.tier(sessionId, t.id),
    keys.tierBuyers(sessionId, t.id),
  ]);
  const [code] = await ctx.scripts.run<number[]>(
    "rebuild-session",
    [
      keys.sessionReady(sessionId),
      lock.key,
      keys.reservations(sessionId),
      keys.claims(sessionId),
      keys.disabledSeats(sessionId),
      keys.unpaidSeatHours(sessionId),
      ...tierKeys,
      keys.sessionGeneration(sessionId),
    ],
    [lock.token, JSON.stringify(state), expiry.at, expiry.minMs, generation],
  );
  return code === REBUILD.REBUILT;
}

/** lua/release-lock.lua: deletes `key` only while it holds `token`; true when deleted. */
export async function releaseLockScript(
  ctx: AppContext,
  key: string,
  token: string,
): Promise<boolean> {
  const code = await ctx.scripts.run<number>("release-lock", [key], [token]);
  return code === RELEASE_LOCK.DELETED;
}
