/**
 * Seat areas as MySQL keeps them: an area of rows × columns, its seats (position, code, disabled
 * or not), and the checks every seat request starts with. The static part of an area is cached in
 * the process for a few seconds, so a layout of 1,000 seats is that cache plus one Redis round
 * trip, and a hold of seats of a cached area needs no query; admin changes (area_admin.ts) drop
 * the cache.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid, notFound } from "#lib/platform/errors.ts";
import { INTERNET_CAFE } from "#lib/catalog/shows.ts";
import { contextCache } from "#lib/platform/context_cache.ts";
import { seatUnavailable } from "#lib/sale/replies.ts";

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

/**
 * An area and its seats (cached for a few seconds; admin changes here drop the entry). A reload
 * that finds them unchanged gives back the very same objects: the layout keeps what it built
 * from them (each seat's JSON, its encoded and compressed blocks) instead of building a
 * 10,000-seat area again every few seconds.
 */
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
    const loaded = { area: toArea(row), seats: seats.map(toSeat) };
    let last = lastLoaded.get(ctx);
    if (!last) lastLoaded.set(ctx, last = new Map());
    const before = last.get(areaId);
    if (before && sameArea(before, loaded)) return before;
    if (last.size >= 1024) last.clear();
    last.set(areaId, loaded);
    return loaded;
  });
}

/** The last load of each area, per context (forgetAreas clears it with the cache). */
const lastLoaded = new WeakMap<AppContext, Map<number, { area: Area; seats: Seat[] }>>();

function sameArea(a: { area: Area; seats: Seat[] }, b: { area: Area; seats: Seat[] }): boolean {
  if (JSON.stringify(a.area) !== JSON.stringify(b.area)) return false;
  if (a.seats.length !== b.seats.length) return false;
  for (let i = 0; i < a.seats.length; i++) {
    const x = a.seats[i];
    const y = b.seats[i];
    if (
      x.id !== y.id || x.rowNum !== y.rowNum || x.seatNum !== y.seatNum ||
      x.seatCode !== y.seatCode || x.x !== y.x || x.y !== y.y || x.disabled !== y.disabled ||
      x.areaId !== y.areaId || x.sessionId !== y.sessionId || x.ticketId !== y.ticketId
    ) return false;
  }
  return true;
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
  const seats = await cachedSeats(ctx, seatIds) ?? await queriedSeats(ctx, seatIds);
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

/**
 * The seats from the areas cached in this process (as fresh as a layout: STATIC_TTL_MS, dropped at
 * once by this instance's admin changes), or undefined when one of them is not among them: a hold
 * or a seated order of a seat on sale costs no query. A seat is looked for in the areas this
 * process has loaded, then confirmed in its area as areaWithSeats gives it now.
 */
async function cachedSeats(ctx: AppContext, seatIds: number[]): Promise<Seat[] | undefined> {
  const loaded = lastLoaded.get(ctx);
  if (!loaded) return undefined;
  const seats: Seat[] = [];
  for (const id of seatIds) {
    let areaId: number | undefined;
    for (const [candidate, { seats }] of loaded) {
      if (seatIndex(seats).get(id)) {
        areaId = candidate;
        break;
      }
    }
    if (areaId === undefined) return undefined;
    const seat = seatIndex((await areaWithSeats(ctx, areaId)).seats).get(id);
    if (!seat) return undefined;
    seats.push(seat);
  }
  return seats;
}

/** The seats as MySQL has them; 404 naming those it does not know. */
async function queriedSeats(ctx: AppContext, seatIds: number[]): Promise<Seat[]> {
  const rows = await ctx.db.read.rows<SeatRow>(
    `${SEAT_SELECT} WHERE id IN (${seatIds.map(() => "?").join(", ")})`,
    seatIds,
  );
  const byId = new Map(rows.map((r) => [r.id, toSeat(r)]));
  const unknown = seatIds.filter((id) => !byId.has(id));
  if (unknown.length) throw notFound(`seats ${unknown.join(", ")}`);
  return seatIds.map((id) => byId.get(id)!);
}

/** An area's seats by id, made once per loaded seat list. */
const seatIndexes = new WeakMap<Seat[], Map<number, Seat>>();
function seatIndex(seats: Seat[]): Map<number, Seat> {
  let index = seatIndexes.get(seats);
  if (!index) seatIndexes.set(seats, index = new Map(seats.map((s) => [s.id, s])));
  return index;
}

/** 409 SEAT_UNAVAILABLE naming the disabled seats among `seats`, if any. */
export function refuseDisabled(seats: Seat[]): void {
  const disabled = seats.filter((s) => s.disabled).map((s) => String(s.id));
  if (disabled.length) throw seatUnavailable(disabled);
}

/** Drops every cached area of the context (after an admin change to areas or seats). */
export function forgetAreas(ctx: AppContext): void {
  areaCache.forget(ctx);
  lastLoaded.delete(ctx);
}
