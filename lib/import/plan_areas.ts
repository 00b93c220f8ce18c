/**
 * planImport's seat areas and seats. The reference keeps seat areas per venue; a tier gets a
 * copy of the area of its show's venue that has the tier's name, when that area has seats that
 * fit a grid of at most 100 × 100. Such a tier is seated, as in boxoffice.
 */
import type { PlannedArea, PlannedSeat, PlannedTier } from "./plan.ts";
import { groupBy, type PlanContext } from "./plan_context.ts";
import type { TierPlan } from "./plan_tiers.ts";
import type { SourceArea, SourceSeat } from "./source_rows.ts";

const MAX_GRID = 100;

/** A seated tier: its area, and source seat id → planned seat key. */
export interface SeatedTier {
  area: PlannedArea;
  seatKeys: Map<number, string>;
}

export interface AreaPlan {
  planned: PlannedArea[];
  /** Tier key → its seats, for the tiers that are seated. */
  seated: Map<string, SeatedTier>;
}

export function planAreas(ctx: PlanContext, tiers: TierPlan): AreaPlan {
  const areaOf = venueAreaFinder(ctx);
  const areasInSession = new Map<string, number>();
  const out: AreaPlan = { planned: [], seated: new Map() };
  for (const tier of tiers.planned) {
    if (tier.deletedAt) continue;
    const t = tiers.sourceOf.get(tier.key)!;
    const found = areaOf(t.sessionId, t.name);
    if (!found) continue;
    if (found === "several") {
      const why = `several seat areas named "${t.name}" at its venue: sold without seats`;
      ctx.note("tier", ctx.src("t_ticket", t.id), why);
      continue;
    }
    const grid = gridOf(found.seats);
    if (typeof grid === "string") {
      const why = `${grid}: tier ${t.id} is sold without seats`;
      ctx.note("area", ctx.src("t_seat_area", found.area.id), why);
      continue;
    }
    const n = areasInSession.get(tier.sessionKey) ?? 0;
    areasInSession.set(tier.sessionKey, n + 1);
    const area = plannedArea(ctx, tier, found.area, grid, areaCodeFor(n));
    out.planned.push(area);
    out.seated.set(tier.key, {
      area,
      seatKeys: new Map(area.seats.map((p, i) => [grid.seats[i].sourceId, p.key])),
    });
  }
  return out;
}

/**
 * Finds the seat area of a tier: the area with the tier's name, with seats, at the venue (by
 * name) of the tier's session's show. "several" when more than one fits.
 */
function venueAreaFinder(ctx: PlanContext) {
  const { data } = ctx;
  const showById = new Map(data.shows.map((s) => [s.id, s]));
  const sessionById = new Map(data.sessions.map((s) => [s.id, s]));
  const venueIdsByName = new Map(
    [...groupBy(data.venues, (v) => v.name.trim())].map(([name, vs]) => [
      name,
      vs.map((v) => v.id),
    ]),
  );
  const seatsOfArea = groupBy(data.seats.filter((seat) => !seat.deleted), (seat) => seat.areaId);
  return (
    sessionId: number,
    tierName: string,
  ): { area: SourceArea; seats: SourceSeat[] } | "several" | null => {
    const show = showById.get(sessionById.get(sessionId)!.showId)!;
    const venues = venueIdsByName.get((show.venue ?? "").trim()) ?? [];
    const candidates = data.areas.filter((a) =>
      !a.deleted && a.venueId !== null && venues.includes(a.venueId) &&
      a.name.trim() === tierName.trim() && (seatsOfArea.get(a.id)?.length ?? 0) > 0
    );
    if (candidates.length === 0) return null;
    if (candidates.length > 1) return "several";
    return { area: candidates[0], seats: seatsOfArea.get(candidates[0].id)! };
  };
}

function plannedArea(
  ctx: PlanContext,
  tier: PlannedTier,
  area: SourceArea,
  grid: Grid,
  areaCode: string,
): PlannedArea {
  return {
    key: `${ctx.key("t_seat_area", area.id)}@${tier.sessionKey}`,
    showKey: tier.showKey,
    sessionKey: tier.sessionKey,
    tierKey: tier.key,
    name: area.name.trim().slice(0, 100),
    areaCode,
    rows: grid.rows,
    cols: grid.cols,
    price: tier.price,
    seats: grid.seats.map((g) => ({
      ...g,
      key: `${ctx.key("t_seat", g.sourceId)}@${tier.sessionKey}`,
    })),
  };
}

/**
 * Row labels in seat order → 1, 2, ...: numbers by value, letters as the alphabet continues
 * (A … Z, AA …). Null when a label is empty.
 */
export function rowNumbers(labels: string[]): Map<string, number> | null {
  const distinct = [...new Set(labels.map((l) => l.trim()))];
  if (distinct.some((l) => l === "")) return null;
  const numeric = distinct.every((l) => /^\d+$/.test(l));
  distinct.sort((a, b) =>
    numeric ? Number(a) - Number(b) : a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
  );
  return new Map(distinct.map((l, i) => [l, i + 1]));
}

/** Area codes of one session, in creation order: A … Z, then Z1, Z2, … (as lib/seating). */
export const areaCodeFor = (n: number) => n < 26 ? String.fromCharCode(65 + n) : `Z${n - 25}`;

interface Grid {
  rows: number;
  cols: number;
  seats: (Omit<PlannedSeat, "key"> & { sourceId: number })[];
}

/** The source seats of an area as a grid of at most 100 × 100, or why they are not one. */
export function gridOf(seats: SourceSeat[]): Grid | string {
  const rows = rowNumbers(seats.map((s) => s.rowNum));
  if (!rows) return "a seat has no row";
  if (rows.size > MAX_GRID) return `${rows.size} rows (at most ${MAX_GRID})`;
  const out: Grid["seats"] = [];
  const taken = new Set<string>();
  let cols = 0;
  for (const seat of seats) {
    if (!/^\d{1,3}$/.test(seat.seatNum.trim())) return `seat number "${seat.seatNum}"`;
    const seatNum = Number(seat.seatNum.trim());
    if (seatNum < 1 || seatNum > MAX_GRID) return `seat number ${seatNum} (1-${MAX_GRID})`;
    const label = seat.rowNum.trim();
    const rowNum = rows.get(label)!;
    if (taken.has(`${rowNum}|${seatNum}`)) return `seat ${label}-${seatNum} twice`;
    taken.add(`${rowNum}|${seatNum}`);
    cols = Math.max(cols, seatNum);
    const code = seat.seatCode && seat.seatCode.length <= 32
      ? seat.seatCode
      : `${label.slice(0, 20)}-${String(seatNum).padStart(2, "0")}`;
    out.push({
      sourceId: seat.id,
      rowNum,
      seatNum,
      seatCode: code,
      x: seat.x ?? seatNum,
      y: seat.y ?? rowNum,
      enabled: seat.enabled,
    });
  }
  out.sort((a, b) => a.rowNum - b.rowNum || a.seatNum - b.seatNum);
  return { rows: rows.size, cols, seats: out };
}
