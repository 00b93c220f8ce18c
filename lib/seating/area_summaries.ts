/**
 * The areas of a session with their live counts of free seats (`GET /api/seat/areas`).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid, notFound } from "#lib/platform/errors.ts";
import { areasOfSession, areaWithSeats } from "./areas.ts";
import { readSlots } from "./live_state.ts";

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
