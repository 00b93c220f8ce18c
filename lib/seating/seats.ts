/**
 * Seats: areas of rows × columns, their live state for a buyer, and time-limited holds.
 *
 * MySQL keeps what a seat is (area, position, code, disabled or not) and which order uses it
 * (`seat_claims`). Redis keeps the live state in the session's hash tag: the claims hash (slot →
 * order), the disabled set, and one key per hold with a TTL, so an abandoned hold lapses by
 * itself. A slot is a seat id, or "seatId@hour" for hourly bookings.
 *
 * The static part of an area (its seats and coordinates) is cached in the process for a few
 * seconds, so a layout of 1,000 seats is that cache plus one Redis round trip.
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { Queryable } from "#lib/platform/db.ts";
import { AppError, invalid, notFound, unavailable } from "#lib/platform/errors.ts";
import { recordSeatHold } from "#lib/platform/metrics.ts";
import { invalidateSession, rebuildSession } from "#lib/sale/session_rebuild.ts";
import { INTERNET_CAFE } from "#lib/catalog/shows.ts";
import { forgetTierFacts } from "#lib/catalog/tier_facts.ts";
import { escapeGlob } from "#lib/platform/redis.ts";
import { contextCache } from "#lib/platform/context_cache.ts";
import { JsonText } from "#lib/platform/json_text.ts";
import { formatTime, serviceTimeZone } from "#lib/platform/time.ts";

export const MAX_SEATS_PER_REQUEST = 10;
const STATIC_TTL_MS = 5_000;

export interface Seat {
  id: number;
  areaId: number;
  sessionId: number;
  ticketId: number;
  rowNum: number;
  seatNum: number;
  seatCode: string;
  x: number;
  y: number;
  disabled: boolean;
}

export interface Area {
  id: number;
  showId: number;
  sessionId: number;
  ticketId: number;
  name: string;
  areaCode: string;
  floorLevel: number;
  areaType: number;
  rows: number;
  cols: number;
  price: number;
  nightPrice: number | null;
  /** The area is a venue's booked by the hour (its seats need a time window). */
  hourly: boolean;
}

/** The live state of one slot as read-slots.lua reports it. */
export interface SlotState {
  state: "disabled" | "sold" | "pending" | "held" | "free";
  holder: number | null;
  expireAt: number | null;
}

// ---------------------------------------------------------------- static data (cached)

const areaCache = contextCache<number, { area: Area; seats: Seat[] }>(STATIC_TTL_MS);

interface AreaRow {
  id: number;
  show_id: number;
  session_id: number;
  ticket_id: number;
  name: string;
  area_code: string;
  floor_level: number;
  area_type: number;
  row_count: number;
  col_count: number;
  price: number;
  night_price: number | null;
  hourly: number;
}

interface SeatRow {
  id: number;
  area_id: number;
  session_id: number;
  ticket_id: number;
  row_num: number;
  seat_num: number;
  seat_code: string;
  x_coordinate: number;
  y_coordinate: number;
  status: number;
}

const AREA_SELECT = `SELECT a.id, a.show_id, a.session_id, a.ticket_id, a.name, a.area_code,
                            a.floor_level, a.area_type, a.row_count, a.col_count, a.price,
                            a.night_price, sh.type = ${INTERNET_CAFE} AS hourly
                       FROM seat_areas a
                       JOIN sessions se ON se.id = a.session_id AND se.deleted_at IS NULL
                       JOIN shows sh ON sh.id = a.show_id
                      WHERE a.deleted_at IS NULL`;

const SEAT_SELECT = `SELECT id, area_id, session_id, ticket_id, row_num, seat_num, seat_code,
                            x_coordinate, y_coordinate, status FROM seats`;

const toArea = (r: AreaRow): Area => ({
  id: r.id,
  showId: r.show_id,
  sessionId: r.session_id,
  ticketId: r.ticket_id,
  name: r.name,
  areaCode: r.area_code,
  floorLevel: r.floor_level,
  areaType: r.area_type,
  rows: r.row_count,
  cols: r.col_count,
  price: Number(r.price),
  nightPrice: r.night_price === null ? null : Number(r.night_price),
  hourly: Boolean(r.hourly),
});

const toSeat = (r: SeatRow): Seat => ({
  id: r.id,
  areaId: r.area_id,
  sessionId: r.session_id,
  ticketId: r.ticket_id,
  rowNum: r.row_num,
  seatNum: r.seat_num,
  seatCode: r.seat_code,
  x: r.x_coordinate,
  y: r.y_coordinate,
  disabled: r.status === 0,
});

/** An area and its seats (cached for a few seconds; admin changes here drop the entry). */
export function areaWithSeats(
  ctx: AppContext,
  areaId: number,
): Promise<{ area: Area; seats: Seat[] }> {
  return areaCache.get(ctx, areaId, async () => {
    const [row] = await ctx.db.read.rows<AreaRow>(`${AREA_SELECT} AND a.id = ?`, [areaId]);
    if (!row) throw notFound(`seat area ${areaId}`);
    const seats = await ctx.db.read.rows<SeatRow>(
      `${SEAT_SELECT} WHERE area_id = ? ORDER BY row_num, seat_num`,
      [areaId],
    );
    return { area: toArea(row), seats: seats.map(toSeat) };
  });
}

export async function areasOfSession(ctx: AppContext, sessionId: number): Promise<Area[]> {
  const rows = await ctx.db.read.rows<AreaRow>(
    `${AREA_SELECT} AND a.session_id = ? ORDER BY a.floor_level, a.area_code, a.id`,
    [sessionId],
  );
  return rows.map(toArea);
}

/**
 * The seats named by a request, checked: 1-10, no duplicates, all known, all of one session
 * (the given one, when given). Disabled seats are returned too; the caller refuses them.
 */
export async function resolveSeats(
  ctx: AppContext,
  seatIds: number[],
  sessionId?: number,
): Promise<{ sessionId: number; seats: Seat[]; areas: Map<number, Area> }> {
  if (seatIds.length < 1) throw invalid("seatIds", "name at least one seat");
  if (seatIds.length > MAX_SEATS_PER_REQUEST) {
    throw invalid("seatIds", `at most ${MAX_SEATS_PER_REQUEST} seats at a time`);
  }
  if (new Set(seatIds).size !== seatIds.length) throw invalid("seatIds", "a seat is named twice");
  const rows = await ctx.db.read.rows<SeatRow>(
    `${SEAT_SELECT} WHERE id IN (${seatIds.map(() => "?").join(", ")})`,
    seatIds,
  );
  const byId = new Map(rows.map((r) => [r.id, toSeat(r)]));
  const unknown = seatIds.filter((id) => !byId.has(id));
  if (unknown.length) throw notFound(`seats ${unknown.join(", ")}`);
  const seats = seatIds.map((id) => byId.get(id)!);
  const sessions = new Set(seats.map((s) => s.sessionId));
  if (sessions.size > 1) throw invalid("seatIds", "the seats belong to different sessions");
  const session = seats[0].sessionId;
  if (sessionId !== undefined && sessionId !== session) {
    throw invalid("seatIds", `the seats are not seats of session ${sessionId}`);
  }
  const areas = new Map<number, Area>();
  for (const areaId of new Set(seats.map((s) => s.areaId))) {
    areas.set(areaId, (await areaWithSeats(ctx, areaId)).area);
  }
  return { sessionId: session, seats, areas };
}

export function refuseDisabled(seats: Seat[]): void {
  const disabled = seats.filter((s) => s.disabled).map((s) => String(s.id));
  if (disabled.length) {
    throw new AppError("SEAT_UNAVAILABLE", `seats not available: ${disabled.join(", ")}`, {
      detail: { seats: disabled },
    });
  }
}

// ---------------------------------------------------------------- live state

/** The keys read-slots.lua and hold-seats.lua start with: session state, then one hold per slot. */
function slotKeys(ctx: AppContext, sessionId: number, slots: string[]): string[] {
  const k = ctx.keys;
  return [
    k.sessionReady(sessionId),
    k.claims(sessionId),
    k.disabledSeats(sessionId),
    ...slots.map((slot) => k.hold(sessionId, slot)),
  ];
}

/**
 * The state of many slots of a session in one Redis round trip. A session Redis lost is rebuilt
 * from MySQL first, unless `rebuild` is false: then null says it is not built.
 */
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
): Promise<SlotState[]>;
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
  options: { rebuild: false },
): Promise<SlotState[] | null>;
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
  options: { rebuild: boolean } = { rebuild: true },
): Promise<SlotState[] | null> {
  const keys = slotKeys(ctx, sessionId, slots);
  for (let attempt = 0;; attempt++) {
    const reply = await ctx.scripts.run<(string | number)[]>("read-slots", keys, slots);
    if (reply[0] === 0) {
      if (!options.rebuild) return null;
      if (attempt > 0) throw unavailable(`the sale state of session ${sessionId}`);
      await rebuildSession(ctx, sessionId);
      continue;
    }
    return decodeSlots(reply, slots.length);
  }
}

/** Unpacks read-slots.lua's reply: only the slots that are not free are listed. */
function decodeSlots(reply: (string | number)[], count: number): SlotState[] {
  const out: SlotState[] = Array.from({ length: count }, () => FREE);
  for (let i = 1; i + 3 < reply.length; i += 4) {
    const [index, state, holder, expire] = reply.slice(i, i + 4);
    out[Number(index) - 1] = {
      state: STATE_NAMES[String(state)] ?? "free",
      holder: holder ? Number(holder) : null,
      expireAt: expire ? Number(expire) : null,
    };
  }
  return out;
}

const FREE: SlotState = { state: "free", holder: null, expireAt: null };

const STATE_NAMES: Record<string, SlotState["state"]> = {
  d: "disabled",
  s: "sold",
  p: "pending",
  h: "held",
  f: "free",
};

// ---------------------------------------------------------------- holds

export interface HoldResult {
  seatIds: number[];
  expireTime: Date;
}

/** Holds the slots for the buyer, all or none (409 SEAT_UNAVAILABLE naming those in the way). */
export async function holdSlots(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  slots: string[],
  cap = MAX_SEATS_PER_REQUEST,
): Promise<Date> {
  const keys = [...slotKeys(ctx, sessionId, slots), ctx.keys.heldBy(sessionId, userId)];
  const args = [userId, ctx.now(), ctx.config.seatHoldSeconds * 1000, cap, ...slots];
  for (let attempt = 0;; attempt++) {
    const [code, detail] = await ctx.scripts.run<[number, number | string]>(
      "hold-seats",
      keys,
      args,
    );
    if (code === 1) {
      recordSeatHold("held", slots.length);
      return new Date(Number(detail));
    }
    if (code === -3) {
      recordSeatHold("taken");
      const inTheWay = String(detail).split(",");
      throw new AppError("SEAT_UNAVAILABLE", `seats not available: ${inTheWay.join(", ")}`, {
        detail: { seats: inTheWay },
      });
    }
    if (code === -2) {
      recordSeatHold("over-limit");
      throw new AppError(
        "LIMIT_EXCEEDED",
        `at most ${cap} held at once per buyer in this session; you hold ${detail}`,
        { detail: { limit: cap, held: Number(detail) } },
      );
    }
    if (attempt > 0) throw unavailable(`the sale state of session ${sessionId}`);
    await rebuildSession(ctx, sessionId);
  }
}

/** Releases the buyer's own holds on the slots; others' holds are untouched. */
export async function releaseSlots(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  slots: string[],
): Promise<number> {
  const keys = [
    ...slots.map((slot) => ctx.keys.hold(sessionId, slot)),
    ctx.keys.heldBy(sessionId, userId),
  ];
  const released = await ctx.scripts.run<number>("release-holds", keys, [userId, ...slots]);
  if (released > 0) recordSeatHold("released", released);
  return released;
}

/**
 * Holds seats that are not booked by the hour. Seats of an hourly venue are handed to
 * `onHourly` (the walk-in of lib/seating/hourly.ts) or, without it, refused.
 */
export async function holdSeats<T = never>(
  ctx: AppContext,
  userId: number,
  input: { sessionId?: number; seatIds: number[] },
  onHourly?: () => Promise<T>,
): Promise<HoldResult | T> {
  const { sessionId, seats, areas } = await resolveSeats(ctx, input.seatIds, input.sessionId);
  if ([...areas.values()].some((a) => a.hourly)) {
    if (onHourly) return await onHourly();
    throw invalid("startTime", "required: these seats are booked by the hour (with hours)");
  }
  refuseDisabled(seats);
  const expireTime = await holdSlots(ctx, userId, sessionId, seats.map((s) => String(s.id)));
  return { seatIds: seats.map((s) => s.id), expireTime };
}

export async function releaseSeats(
  ctx: AppContext,
  userId: number,
  input: { sessionId?: number; seatIds: number[] },
): Promise<true> {
  const { sessionId, seats } = await resolveSeats(ctx, input.seatIds, input.sessionId);
  await releaseSlots(ctx, userId, sessionId, seats.map((s) => String(s.id)));
  return true;
}

// ---------------------------------------------------------------- public views

export interface AreaSummary {
  id: number;
  name: string;
  areaCode: string;
  floorLevel: number;
  areaType: number;
  price: number;
  nightPrice: number | null;
  totalSeats: number;
  availableSeats: number;
  selectable: boolean;
}

/** The areas of a session (or of the show's first session on sale) with live counts. */
export async function listAreas(
  ctx: AppContext,
  input: { showId?: number; sessionId?: number },
): Promise<AreaSummary[]> {
  let sessionId = input.sessionId;
  if (sessionId === undefined) {
    if (input.showId === undefined) throw invalid("sessionId", "required (or showId)");
    const [first] = await ctx.db.read.rows<{ id: number }>(
      `SELECT id FROM sessions WHERE show_id = ? AND deleted_at IS NULL
        ORDER BY status <> 1, start_time, id LIMIT 1`,
      [input.showId],
    );
    if (!first) throw notFound(`a session of show ${input.showId}`);
    sessionId = first.id;
  }
  const areas = await areasOfSession(ctx, sessionId);
  if (input.showId !== undefined && areas.some((a) => a.showId !== input.showId)) {
    throw invalid("sessionId", `session ${sessionId} is not a session of show ${input.showId}`);
  }
  const withSeats = await Promise.all(areas.map((a) => areaWithSeats(ctx, a.id)));
  const all = withSeats.flatMap((a) => a.seats);
  const states = all.length ? await readSlots(ctx, sessionId, all.map((s) => String(s.id))) : [];
  const free = new Map<number, number>();
  all.forEach((seat, i) => {
    if (states[i].state === "free") free.set(seat.areaId, (free.get(seat.areaId) ?? 0) + 1);
  });
  return withSeats.map(({ area, seats }) => {
    const available = free.get(area.id) ?? 0;
    return {
      id: area.id,
      name: area.name,
      areaCode: area.areaCode,
      floorLevel: area.floorLevel,
      areaType: area.areaType,
      price: area.price,
      nightPrice: area.nightPrice,
      totalSeats: seats.filter((s) => !s.disabled).length,
      availableSeats: available,
      selectable: available > 0,
    };
  });
}

/**
 * An area's seats with each one's live status for the caller, as JSON text (see the route's
 * schema for the shape). A layout is the hot read of a seated on-sale: the static part of every
 * seat is written once per cached area, and each request adds only the live fields, from one
 * Redis round trip. status: 0 disabled, 1 available, 2 held or in an unpaid order, 3 sold;
 * lockStatus: 0 free, 1 held, 2 in an order.
 */
export async function getLayout(
  ctx: AppContext,
  areaId: number,
  sessionId: number | undefined,
  callerId: number | undefined,
): Promise<JsonText> {
  const { area, seats } = await areaWithSeats(ctx, areaId);
  if (sessionId !== undefined && sessionId !== area.sessionId) {
    throw invalid("sessionId", `area ${areaId} is not an area of session ${sessionId}`);
  }
  const states = await readSlots(ctx, area.sessionId, seats.map((s) => String(s.id)));
  const prefixes = seatPrefixes(area, seats);
  const zone = serviceTimeZone();
  let available = 0;
  const parts = new Array<string>(seats.length);
  for (let i = 0; i < seats.length; i++) {
    const st = states[i];
    if (st.state === "free") available++;
    const held = st.state === "held";
    const expire = held && st.expireAt ? `"${formatTime(new Date(st.expireAt), zone)}"` : "null";
    const mine = held && callerId !== undefined && st.holder === callerId;
    parts[i] = `${prefixes[i]}"status":${STATUS_CODE[st.state]},"lockStatus":${
      LOCK_CODE[st.state]
    },"lockExpireTime":${expire},"lockedByCurrentUser":${mine}}`;
  }
  return new JsonText(
    `{"areaId":${area.id},"areaName":${JSON.stringify(area.name)},"sessionId":${area.sessionId},` +
      `"totalRows":${area.rows},"totalCols":${area.cols},` +
      `"totalSeats":${seats.filter((s) => !s.disabled).length},"availableSeats":${available},` +
      `"seats":[${parts.join(",")}]}`,
  );
}

const STATUS_CODE = { disabled: 0, free: 1, held: 2, pending: 2, sold: 3 } as const;
const LOCK_CODE = { disabled: 0, free: 0, held: 1, pending: 2, sold: 2 } as const;

// The static JSON of each seat, computed once per cached seat list.
const prefixCache = new WeakMap<Seat[], string[]>();

function seatPrefixes(area: Area, seats: Seat[]): string[] {
  let prefixes = prefixCache.get(seats);
  if (!prefixes) {
    prefixes = seats.map((s) =>
      `{"id":${s.id},"seatCode":${JSON.stringify(s.seatCode)},"rowNum":${s.rowNum},` +
      `"seatNum":${s.seatNum},"xCoordinate":${s.x},"yCoordinate":${s.y},"price":${area.price},`
    );
    prefixCache.set(seats, prefixes);
  }
  return prefixes;
}

// ---------------------------------------------------------------- admin

export interface AreaInput {
  showId: number;
  sessionId: number;
  ticketId: number;
  name: string;
  rows: number;
  cols: number;
  price: number;
  nightPrice?: number | null;
  areaType?: number;
  floorLevel?: number;
  areaCode?: string;
}

/**
 * Creates an area with rows × cols seats (codes like `A-01-03`) and sets the tier's stock to
 * the number of its sellable seats, all in one transaction.
 */
export async function createArea(ctx: AppContext, input: AreaInput): Promise<{ id: number }> {
  const [tier] = await ctx.db.rows<{ show_id: number; session_id: number }>(
    `SELECT t.show_id, t.session_id FROM tickets t
       JOIN sessions se ON se.id = t.session_id AND se.deleted_at IS NULL
      WHERE t.id = ? AND t.deleted_at IS NULL`,
    [input.ticketId],
  );
  if (!tier) throw notFound(`ticket ${input.ticketId}`);
  if (tier.session_id !== input.sessionId) {
    throw invalid(
      "ticketId",
      `ticket ${input.ticketId} is not a tier of session ${input.sessionId}`,
    );
  }
  if (tier.show_id !== input.showId) {
    throw invalid(
      "sessionId",
      `session ${input.sessionId} is not a session of show ${input.showId}`,
    );
  }
  const created = await ctx.db.tx(async (tx) => {
    const [{ n }] = await tx.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM seat_areas WHERE session_id = ? FOR UPDATE",
      [input.sessionId],
    );
    const code = input.areaCode ?? areaCodeFor(Number(n));
    const { insertId: areaId } = await tx.exec(
      `INSERT INTO seat_areas (show_id, session_id, ticket_id, name, area_code, floor_level,
                               area_type, row_count, col_count, price, night_price)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        input.showId,
        input.sessionId,
        input.ticketId,
        input.name,
        code,
        input.floorLevel ?? 1,
        input.areaType ?? 1,
        input.rows,
        input.cols,
        input.price,
        input.nightPrice ?? null,
      ],
    ).catch((e) => {
      if ((e as { code?: string }).code === "ER_DUP_ENTRY") {
        throw new AppError("CONFLICT", `areaCode: ${code} exists in session ${input.sessionId}`);
      }
      throw e;
    });
    const values: (number | string)[] = [];
    for (let r = 1; r <= input.rows; r++) {
      for (let c = 1; c <= input.cols; c++) {
        const pad = (v: number) => String(v).padStart(2, "0");
        values.push(
          areaId,
          input.sessionId,
          input.ticketId,
          r,
          c,
          `${code}-${pad(r)}-${pad(c)}`,
          c,
          r,
        );
      }
    }
    const per = 8;
    for (let i = 0; i < values.length; i += per * 500) {
      const chunk = values.slice(i, i + per * 500);
      await tx.exec(
        `INSERT INTO seats (area_id, session_id, ticket_id, row_num, seat_num, seat_code,
                            x_coordinate, y_coordinate)
         VALUES ${
          Array.from({ length: chunk.length / per }, () => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")
        }`,
        chunk,
      );
    }
    await syncTierStock(tx, input.ticketId);
    return { id: areaId };
  });
  await afterSeatChange(ctx, input.sessionId, input.ticketId);
  return created;
}

const areaCodeFor = (n: number) => n < 26 ? String.fromCharCode(65 + n) : `Z${n - 25}`;

/** The tier's total stock = its sellable seats; refused (409) below what is locked or sold. */
async function syncTierStock(tx: Queryable, ticketId: number) {
  const [{ n }] = await tx.rows<{ n: number }>(
    "SELECT COUNT(*) AS n FROM seats WHERE ticket_id = ? AND status = 1",
    [ticketId],
  );
  const { affectedRows } = await tx.exec(
    `UPDATE ticket_stock SET total_stock = ?, version = version + 1
      WHERE ticket_id = ? AND locked_stock + sold_stock <= ?`,
    [Number(n), ticketId, Number(n)],
  );
  if (affectedRows === 0) {
    throw new AppError("CONFLICT", "the tier would have fewer seats than it has sold or locked");
  }
}

async function afterSeatChange(ctx: AppContext, sessionId: number, ticketId: number) {
  areaCache.forget(ctx);
  forgetTierFacts(ctx, ticketId);
  await invalidateSession(ctx, sessionId);
  await rebuildSession(ctx, sessionId).catch((e) =>
    ctx.log.warn("sale state not rebuilt after a seat change (rebuilt on first use)", {
      sessionId,
      error: e instanceof Error ? e.message : String(e),
    })
  );
}

/** Disables (0) or enables (1) seats; a seat in an unpaid or paid order cannot be disabled. */
export async function setSeatStatus(
  ctx: AppContext,
  seatIds: number[],
  status: 0 | 1,
): Promise<true> {
  const { sessionId, seats } = await resolveSeats(ctx, seatIds);
  const tiers = [...new Set(seats.map((s) => s.ticketId))];
  await ctx.db.tx(async (tx) => {
    if (status === 0) {
      const used = await tx.rows<{ seat_id: number }>(
        `SELECT seat_id FROM seat_claims WHERE session_id = ? AND seat_id IN (${
          seatIds.map(() => "?").join(", ")
        }) LIMIT 10`,
        [sessionId, ...seatIds],
      );
      if (used.length) {
        throw new AppError(
          "SEAT_UNAVAILABLE",
          `seats in an order cannot be disabled: ${used.map((u) => u.seat_id).join(", ")}`,
        );
      }
    }
    await tx.exec(
      `UPDATE seats SET status = ? WHERE id IN (${seatIds.map(() => "?").join(", ")})`,
      [status, ...seatIds],
    );
    for (const t of tiers) await syncTierStock(tx, t);
  });
  for (const t of tiers) await afterSeatChange(ctx, sessionId, t);
  return true;
}

// ---------------------------------------------------------------- consistency

export interface SeatConsistency {
  seatId: number;
  sessionId: number;
  mysql: { disabled: boolean; orderNo: string | null; orderStatus: number | null };
  redis: { built: boolean; state: SlotState["state"] | null; holder: number | null };
  consistent: boolean;
}

/** Redis and MySQL side by side for seats of one session (no rebuild: shows Redis as it is). */
export async function seatConsistency(
  ctx: AppContext,
  seatIds: number[],
  sessionId?: number,
): Promise<SeatConsistency[]> {
  const { sessionId: session, seats } = await resolveSeats(ctx, seatIds, sessionId);
  const claims = await ctx.db.rows<{ seat_id: number; order_no: string; status: number }>(
    `SELECT c.seat_id, o.order_no, o.status FROM seat_claims c JOIN orders o ON o.id = c.order_id
      WHERE c.session_id = ? AND c.slot IN (${seatIds.map(() => "?").join(", ")})`,
    [session, ...seatIds.map(String)],
  );
  const bySeat = new Map(claims.map((c) => [c.seat_id, c]));
  // As Redis has it now: a session it lost is shown as not built, not rebuilt first.
  const states = await readSlots(ctx, session, seats.map((s) => String(s.id)), { rebuild: false });
  const built = states !== null;
  return seats.map((seat, i) => {
    const claim = bySeat.get(seat.id);
    const state = states?.[i].state ?? null;
    const holder = states?.[i].holder ?? null;
    const expected: SlotState["state"][] = seat.disabled
      ? ["disabled"]
      : claim
      ? [claim.status === 1 ? "sold" : "pending"]
      : ["free", "held"];
    return {
      seatId: seat.id,
      sessionId: session,
      mysql: {
        disabled: seat.disabled,
        orderNo: claim?.order_no ?? null,
        orderStatus: claim?.status ?? null,
      },
      redis: { built, state, holder },
      consistent: !built || expected.includes(state!),
    };
  });
}

/** Verifies seats and, when Redis disagrees with MySQL, rebuilds the session from MySQL. */
export async function verifySeats(
  ctx: AppContext,
  seatIds: number[],
  sessionId?: number,
): Promise<{ checked: number; repaired: boolean; seats: SeatConsistency[] }> {
  const before = await seatConsistency(ctx, seatIds, sessionId);
  if (before.every((s) => s.consistent)) {
    return { checked: before.length, repaired: false, seats: before };
  }
  const session = before[0].sessionId;
  await invalidateSession(ctx, session);
  await rebuildSession(ctx, session);
  return {
    checked: before.length,
    repaired: true,
    seats: await seatConsistency(ctx, seatIds, session),
  };
}

/**
 * Deletes stray holds of a session: hold keys on seats that are disabled or in an order, and
 * hold keys that lost their TTL (they would never lapse). Bounded by `batch` keys per call.
 */
export async function sweepStrayHolds(
  ctx: AppContext,
  sessionId: number,
  batch = 1000,
): Promise<{ scanned: number; removed: number }> {
  const prefix = ctx.keys.hold(sessionId, "");
  const found: string[] = [];
  await ctx.redis.scan(`${escapeGlob(prefix)}*`, (keys) => {
    for (const key of keys) if (found.length < batch) found.push(key);
    return Promise.resolve();
  });
  let removed = 0;
  if (!found.length) return { scanned: 0, removed };
  const slots = found.map((key) => key.slice(prefix.length));
  const states = await readSlots(ctx, sessionId, slots);
  for (let i = 0; i < found.length; i++) {
    const key = found[i];
    const ttl = Number(await ctx.redis.send(["PTTL", key], key));
    const stray = ttl === -1 || (states[i].state !== "held" && states[i].state !== "free");
    if (stray) removed += Number(await ctx.redis.send(["DEL", key], key));
  }
  return { scanned: found.length, removed };
}

/**
 * The release-holds job: hold keys lapse by their own TTL, so what is left to sweep are stray
 * holds (no TTL, or on seats now in an order or disabled) of sessions that sell seats and are
 * not over. Bounded: at most `batch` hold keys looked at per run.
 */
export async function sweepExpiredHolds(
  ctx: AppContext,
  batch: number,
): Promise<{ sessions: number; scanned: number; removed: number }> {
  const sessions = await ctx.db.rows<{ session_id: number }>(
    `SELECT DISTINCT a.session_id FROM seat_areas a
       JOIN sessions se ON se.id = a.session_id AND se.deleted_at IS NULL
      WHERE a.deleted_at IS NULL AND se.end_time > ?
      ORDER BY a.session_id LIMIT 500`,
    [new Date(ctx.now())],
  );
  const total = { sessions: 0, scanned: 0, removed: 0 };
  for (const { session_id } of sessions) {
    if (total.scanned >= batch) break;
    const ready = ctx.keys.sessionReady(session_id);
    // A session Redis lost has no holds to sweep; it is rebuilt on its next use.
    if (Number(await ctx.redis.send(["EXISTS", ready], ready)) === 0) continue;
    const r = await sweepStrayHolds(ctx, session_id, batch - total.scanned);
    total.sessions++;
    total.scanned += r.scanned;
    total.removed += r.removed;
  }
  return total;
}
