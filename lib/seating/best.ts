/**
 * Best available: the best free block of `count` seats of an area, picked and held for the buyer
 * in one atomic step (lua/hold-best-seats.lua), so buyers asking at the same time get disjoint
 * seats.
 *
 * The score of a seat is its distance to the centre of the front: with rows numbered from the
 * stage (row 1) and the area's centre column c = (cols + 1) / 2,
 *
 *     score(seat) = sqrt((row - 1)² + (seatNum - c)²)        (in seat widths)
 *
 * and a block's score is the mean of its seats' scores. Lower is better; ties go to the nearer
 * row, then the lower seat number. This module ranks the candidates (pure, no store); the script
 * takes the first one that is free and does not leave a single free seat alone between taken
 * seats, a gap or a row's end, and only when every free block would, the best of those.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, invalid } from "#lib/platform/errors.ts";
import { recordSeatHold } from "#lib/platform/metrics.ts";
import { holdBestSeatsScript } from "#lib/sale/calls.ts";
import { writingSlots } from "#lib/sale/slot_writes.ts";
import { refusalError } from "#lib/sale/replies.ts";
import { withBuiltSession } from "#lib/sale/session_rebuild.ts";
import { getHourlySettings } from "#lib/catalog/hourly_venues.ts";
import {
  type Area,
  areasOfSession,
  areaWithSeats,
  MAX_SEATS_PER_REQUEST,
  type Seat,
} from "./areas.ts";
import { checkWindow } from "./hour_windows.ts";
import { slotOf } from "./slots.ts";

/** The position of a seat, as far as ranking goes. */
export interface Place {
  rowNum: number;
  seatNum: number;
}

/** Distance of a seat to the front centre of an area `cols` seats wide (see the module doc). */
export function seatScore(place: Place, cols: number): number {
  const centre = (cols + 1) / 2;
  return Math.hypot(place.rowNum - 1, place.seatNum - centre);
}

/** Orders by score, then row, then seat number (lower first). */
function byScore<T extends { score: number; first: Place }>(a: T, b: T): number {
  return a.score - b.score || a.first.rowNum - b.first.rowNum ||
    a.first.seatNum - b.first.seatNum;
}

/**
 * Blocks of `count` consecutive seats of one row, best first, each given by the index of its
 * first seat in `places` (which must be sorted by row, then seat number).
 */
export function rankBlocks(places: Place[], count: number, cols: number): number[] {
  const blocks: { start: number; score: number; first: Place }[] = [];
  for (let s = 0; s + count <= places.length; s++) {
    let total = 0;
    let ok = true;
    for (let i = s; i < s + count; i++) {
      const p = places[i];
      if (i > s && (p.rowNum !== places[i - 1].rowNum || p.seatNum !== places[i - 1].seatNum + 1)) {
        ok = false;
        break;
      }
      total += seatScore(p, cols);
    }
    if (ok) blocks.push({ start: s, score: total / count, first: places[s] });
  }
  return blocks.sort(byScore).map((b) => b.start);
}

/** Indices of `places`, best seat first. */
export function rankSeats(places: Place[], cols: number): number[] {
  return places
    .map((p, i) => ({ i, score: seatScore(p, cols), first: p }))
    .sort(byScore)
    .map((s) => s.i);
}

export interface BestRequest {
  sessionId: number;
  areaId?: number;
  count: number;
  adjacent?: boolean;
  startTime?: Date;
  hours?: number;
}

export interface BestResult {
  areaId: number;
  seatIds: number[];
  seats: { id: number; seatCode: string; rowNum: number; seatNum: number }[];
  startTime?: Date;
  endTime?: Date;
  expireTime: Date;
}

/**
 * Holds the best `count` seats for the buyer: in the given area, or in the session's areas in
 * their listed order (the first that has a suitable block). 409 SEAT_UNAVAILABLE when none has.
 */
export async function holdBestSeats(
  ctx: AppContext,
  userId: number,
  input: BestRequest,
): Promise<BestResult> {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > MAX_SEATS_PER_REQUEST) {
    throw invalid("count", `1 to ${MAX_SEATS_PER_REQUEST} seats`);
  }
  let areas: Area[];
  if (input.areaId !== undefined) {
    const { area } = await areaWithSeats(ctx, input.areaId);
    if (area.sessionId !== input.sessionId) {
      throw invalid("areaId", `area ${input.areaId} is not an area of session ${input.sessionId}`);
    }
    areas = [area];
  } else {
    areas = await areasOfSession(ctx, input.sessionId);
    if (!areas.length) throw invalid("sessionId", `session ${input.sessionId} has no seats`);
  }
  const hourly = areas[0].hourly;
  let window: { start: Date; end: Date; hourStarts: number[] } | undefined;
  if (hourly) {
    if (input.startTime === undefined) {
      throw invalid("startTime", "required: these seats are booked by the hour (with hours)");
    }
    window = await checkedWindow(ctx, areas[0], input.startTime, input.hours);
  } else if (input.startTime !== undefined || input.hours !== undefined) {
    throw invalid("startTime", "only for venues booked by the hour");
  }
  for (const area of areas) {
    const got = await holdBestInArea(ctx, userId, area, input, window?.hourStarts);
    if (got) {
      return { ...got, ...(window ? { startTime: window.start, endTime: window.end } : {}) };
    }
  }
  recordSeatHold("taken");
  throw new AppError(
    "SEAT_UNAVAILABLE",
    `no ${input.adjacent === false ? "" : "adjacent "}block of ${input.count} free seats`,
    { detail: { seats: [] } },
  );
}

async function checkedWindow(ctx: AppContext, area: Area, start: Date, hours?: number) {
  const settings = await getHourlySettings(ctx, area.showId);
  const [session] = await ctx.db.read.rows<{ start_time: Date; end_time: Date }>(
    "SELECT start_time, end_time FROM sessions WHERE id = ?",
    [area.sessionId],
  );
  return checkWindow(
    settings,
    { start: session.start_time.getTime(), end: session.end_time.getTime() },
    { start, hours },
    ctx.now(),
  );
}

/**
 * Slots (seats × hours) one hold-best-seats call weighs at most. A larger area (an hourly venue of
 * thousands of seats) is tried in groups of whole rows, front rows first: each call is bounded,
 * blocks never straddle a group (they are within a row), and the best block of the first group
 * with one wins — the best of the area whenever the front rows are the best, as they are in all
 * but the widest areas.
 */
export const BEST_MAX_SLOTS = 20_000;

async function holdBestInArea(
  ctx: AppContext,
  userId: number,
  area: Area,
  input: BestRequest,
  hourStarts: number[] | undefined,
): Promise<Omit<BestResult, "startTime" | "endTime"> | null> {
  const { seats: all } = await areaWithSeats(ctx, area.id);
  const seats: Seat[] = all.filter((s) => !s.disabled);
  if (seats.length < input.count) return null;
  const perGroup = Math.max(1, Math.floor(BEST_MAX_SLOTS / (hourStarts?.length ?? 1)));
  for (const group of rowGroups(seats, perGroup)) {
    if (group.length < input.count && input.adjacent !== false) continue;
    const got = await holdBestInSeats(ctx, userId, area, group, input, hourStarts);
    if (got) return got;
  }
  return null;
}

/** Seats (ordered by row, then seat) cut into groups of whole rows of at most `max` seats. */
export function rowGroups<T extends Place>(seats: T[], max: number): T[][] {
  if (seats.length <= max) return [seats];
  const groups: T[][] = [];
  let group: T[] = [];
  for (let i = 0; i < seats.length;) {
    let end = i;
    while (end < seats.length && seats[end].rowNum === seats[i].rowNum) end++;
    const row = seats.slice(i, end);
    if (group.length && group.length + row.length > max) {
      groups.push(group);
      group = [];
    }
    // A row wider than `max` on its own is cut too (blocks across the cut are not offered).
    for (let k = 0; k < row.length; k += max) {
      const part = row.slice(k, k + max);
      if (group.length + part.length > max) {
        groups.push(group);
        group = [];
      }
      group.push(...part);
    }
    i = end;
  }
  if (group.length) groups.push(group);
  return groups.filter((g) => g.length > 0);
}

async function holdBestInSeats(
  ctx: AppContext,
  userId: number,
  area: Area,
  seats: Seat[],
  input: BestRequest,
  hourStarts: number[] | undefined,
): Promise<Omit<BestResult, "startTime" | "endTime"> | null> {
  const suffixes = hourStarts
    ? hourStarts.map((h) => slotOf(0, h).slice(1)) // "@<minute>"
    : [""];
  // Seats come from the database ordered by row, then seat number.
  const blocks = rankBlocks(seats, input.count, area.cols);
  const order = rankSeats(seats, area.cols);
  // A buyer may hold up to 10 seats, or HOURLY_MAX_SEAT_HOURS held and booked unpaid.
  const cap = hourStarts ? ctx.config.hourlyMaxSeatHours : MAX_SEATS_PER_REQUEST;
  const reply = await withBuiltSession(
    ctx,
    area.sessionId,
    () =>
      writingSlots(ctx, area.sessionId, { session: true }, () =>
        holdBestSeatsScript(ctx, {
          userId,
          sessionId: area.sessionId,
          seatIds: seats.map((s) => s.id),
          suffixes,
          holdMs: ctx.config.seatHoldSeconds * 1000,
          cap,
          count: input.count,
          adjacent: input.adjacent !== false,
          candidates: [
            ...seats.map((s) => `${s.id}:${s.rowNum}:${s.seatNum}`),
            blocks.length,
            ...blocks.map((b) => b + 1),
            ...order.map((i) => i + 1),
          ],
        })),
  );
  if (reply.outcome === "nothing-suitable") return null;
  if (reply.outcome === "refused") {
    recordSeatHold("over-limit");
    throw refusalError(reply.refusal, { kind: "hold", cap, seatHours: !!hourStarts });
  }
  const picked = reply.seatIndices.map((i) => seats[i]);
  recordSeatHold("held", picked.length * suffixes.length);
  return {
    areaId: area.id,
    seatIds: picked.map((s) => s.id),
    seats: picked.map((s) => ({
      id: s.id,
      seatCode: s.seatCode,
      rowNum: s.rowNum,
      seatNum: s.seatNum,
    })),
    expireTime: new Date(reply.expireAt),
  };
}
