/**
 * applyPlan's seat areas: each with its seats and their import_map rows in one transaction.
 * Returns every planned seat's boxoffice id (and how an order item names it) for the orders.
 */
import type { Queryable } from "#lib/platform/db.ts";
import type { PlannedArea } from "./plan.ts";
import { type ImportWriter, loadSeatMap, refuseDuplicate } from "./apply_writer.ts";

/** A seat as an order item refers to it; the id is negative when not written (dry run). */
export interface SeatRef {
  id: number;
  info: string;
}

const CHUNK = 500;

export async function applyAreas(
  w: ImportWriter,
  areas: PlannedArea[],
): Promise<Map<string, SeatRef>> {
  const seatIds = new Map<string, SeatRef>();
  for (const a of areas) {
    const showId = w.maps.show.get(a.showKey);
    const sessionId = w.maps.session.get(a.sessionKey);
    const ticketId = w.maps.tier.get(a.tierKey);
    if (showId === undefined || sessionId === undefined || ticketId === undefined) {
      w.missing("area", a.key, "its tier");
      continue;
    }
    await w.onceIn(sessionId, "area", a.key, async (tx) => {
      const { insertId: areaId } = await tx.exec(
        `INSERT INTO seat_areas (show_id, session_id, ticket_id, name, area_code, floor_level,
                                 area_type, row_count, col_count, price, night_price)
         VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?, NULL)`,
        [showId, sessionId, ticketId, a.name, a.areaCode, a.rows, a.cols, a.price],
      ).catch(refuseDuplicate(`area code ${a.areaCode} is taken in session ${sessionId}`));
      await insertSeats(tx, a, { areaId, sessionId, ticketId });
      await mapSeats(tx, a, areaId);
      return areaId;
    });
    // Seat ids (after this run or an earlier one) for the orders.
    const fresh = await loadSeatMap(w.db, a.seats.map((s) => s.key), w.options.dryRun);
    a.seats.forEach((s, i) => {
      const id = fresh.get(s.key) ?? -(i + 1);
      seatIds.set(s.key, { id, info: `${a.name} ${s.seatCode}` });
    });
  }
  return seatIds;
}

async function insertSeats(
  tx: Queryable,
  a: PlannedArea,
  ids: { areaId: number; sessionId: number; ticketId: number },
): Promise<void> {
  for (let i = 0; i < a.seats.length; i += CHUNK) {
    const chunk = a.seats.slice(i, i + CHUNK);
    await tx.exec(
      `INSERT INTO seats (area_id, session_id, ticket_id, row_num, seat_num, seat_code,
                          x_coordinate, y_coordinate, status)
       VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      chunk.flatMap((s) => [
        ids.areaId,
        ids.sessionId,
        ids.ticketId,
        s.rowNum,
        s.seatNum,
        s.seatCode,
        s.x,
        s.y,
        s.enabled ? 1 : 0,
      ]),
    );
  }
}

/** The import_map rows of an area's seats just written (found by their position). */
async function mapSeats(tx: Queryable, a: PlannedArea, areaId: number): Promise<void> {
  const rows = await tx.rows<{ id: number; row_num: number; seat_num: number }>(
    "SELECT id, row_num, seat_num FROM seats WHERE area_id = ?",
    [areaId],
  );
  const byPos = new Map(rows.map((r) => [`${r.row_num}|${r.seat_num}`, r.id]));
  for (let i = 0; i < a.seats.length; i += CHUNK) {
    const chunk = a.seats.slice(i, i + CHUNK);
    await tx.exec(
      `INSERT INTO import_map (kind, source_key, target_id) VALUES ${
        chunk.map(() => "('seat', ?, ?)").join(", ")
      }`,
      chunk.flatMap((s) => [s.key, byPos.get(`${s.rowNum}|${s.seatNum}`)!]),
    );
  }
}
