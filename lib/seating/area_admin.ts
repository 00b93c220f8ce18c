/**
 * Area administration: an area created with its rows × cols seats, seats disabled or enabled.
 * A tier sold through an area has exactly its sellable seats as stock, so every change here sets
 * the tier's stock in the same transaction and then rebuilds the session's sale state.
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { Queryable } from "#lib/platform/db.ts";
import { AppError, invalid, notFound } from "#lib/platform/errors.ts";
import { invalidateSession, rebuildSession } from "#lib/sale/session_rebuild.ts";
import { forgetTierFacts } from "#lib/catalog/tier_facts.ts";
import { forgetCatalog } from "#lib/catalog/catalog_cache.ts";
import { forgetAreas, resolveSeats } from "./areas.ts";

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
  forgetAreas(ctx);
  forgetTierFacts(ctx, ticketId);
  // The tier's stock follows its seats: the sessions' seat counts change.
  forgetCatalog(ctx);
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
