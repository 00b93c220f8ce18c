/**
 * Ticket tiers (票档): the price levels of a session, each with its stock row. Stock numbers in
 * MySQL are the system of record: available = total − locked − sold.
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { Queryable } from "#lib/platform/db.ts";
import { AppError, invalid, notFound } from "#lib/platform/errors.ts";
import { errorFields } from "#lib/platform/log.ts";
import { invalidateSession, rebuildSession } from "#lib/sale/session_rebuild.ts";
import { forgetCatalog } from "./catalog_cache.ts";
import { forgetTierFacts } from "./tier_facts.ts";

export interface TicketRecord {
  id: number;
  showId: number;
  sessionId: number;
  name: string;
  price: number;
  limitCount: number;
  status: number;
  available: number;
}

export interface StockView {
  ticketId: number;
  total: number;
  locked: number;
  sold: number;
  available: number;
}

interface TicketRow {
  id: number;
  show_id: number;
  session_id: number;
  name: string;
  price: number;
  limit_count: number;
  status: number;
  total_stock: number;
  locked_stock: number;
  sold_stock: number;
}

// A tier is live while it, its session and its show are not deleted.
const TICKET_SELECT = `
  SELECT t.id, t.show_id, t.session_id, t.name, t.price, t.limit_count, t.status,
         st.total_stock, st.locked_stock, st.sold_stock
    FROM tickets t
    JOIN ticket_stock st ON st.ticket_id = t.id
    JOIN sessions se ON se.id = t.session_id AND se.deleted_at IS NULL
    JOIN shows sh ON sh.id = t.show_id AND sh.deleted_at IS NULL
   WHERE t.deleted_at IS NULL`;

function toRecord(r: TicketRow): TicketRecord {
  return {
    id: r.id,
    showId: r.show_id,
    sessionId: r.session_id,
    name: r.name,
    price: r.price,
    limitCount: r.limit_count,
    status: r.status,
    available: r.total_stock - r.locked_stock - r.sold_stock,
  };
}

function toStock(r: TicketRow): StockView {
  return {
    ticketId: r.id,
    total: r.total_stock,
    locked: r.locked_stock,
    sold: r.sold_stock,
    available: r.total_stock - r.locked_stock - r.sold_stock,
  };
}

export async function listTickets(
  ctx: AppContext,
  showId: number,
  sessionId?: number,
): Promise<TicketRecord[]> {
  const rows = await ctx.db.read.rows<TicketRow>(
    `${TICKET_SELECT} AND t.show_id = ? ${sessionId === undefined ? "" : "AND t.session_id = ?"}
      ORDER BY t.session_id, t.price, t.id`,
    sessionId === undefined ? [showId] : [showId, sessionId],
  );
  return rows.map(toRecord);
}

async function findTicketRow(ctx: AppContext, ticketId: number, db: Queryable = ctx.db.read) {
  const [row] = await db.rows<TicketRow>(`${TICKET_SELECT} AND t.id = ?`, [ticketId]);
  if (!row) throw notFound(`ticket ${ticketId}`);
  return row;
}

export async function getTicket(ctx: AppContext, ticketId: number): Promise<TicketRecord> {
  return toRecord(await findTicketRow(ctx, ticketId));
}

export async function getTicketPrice(ctx: AppContext, ticketId: number): Promise<number> {
  return (await findTicketRow(ctx, ticketId)).price;
}

/** The stock of one tier as MySQL has it (read from the primary: it must be current). */
export async function getStock(ctx: AppContext, ticketId: number): Promise<StockView> {
  return toStock(await findTicketRow(ctx, ticketId, ctx.db));
}

export async function listAllStock(ctx: AppContext): Promise<StockView[]> {
  const rows = await ctx.db.rows<TicketRow>(`${TICKET_SELECT} ORDER BY t.id LIMIT 10000`);
  return rows.map(toStock);
}

// ---------------------------------------------------------------- admin

export interface TicketInput {
  showId: number;
  sessionId: number;
  name: string;
  price: number;
  totalStock: number;
  limitCount?: number;
}

export async function createTicket(ctx: AppContext, input: TicketInput): Promise<{ id: number }> {
  const [session] = await ctx.db.rows<{ show_id: number }>(
    `SELECT se.show_id FROM sessions se JOIN shows sh ON sh.id = se.show_id AND sh.deleted_at IS NULL
      WHERE se.id = ? AND se.deleted_at IS NULL`,
    [input.sessionId],
  );
  if (!session) throw notFound(`session ${input.sessionId}`);
  if (session.show_id !== input.showId) {
    throw invalid(
      "sessionId",
      `session ${input.sessionId} is not a session of show ${input.showId}`,
    );
  }
  const created = await ctx.db.tx(async (tx) => {
    const { insertId } = await tx.exec(
      `INSERT INTO tickets (show_id, session_id, name, price, limit_count) VALUES (?, ?, ?, ?, ?)`,
      [input.showId, input.sessionId, input.name, input.price, input.limitCount ?? 4],
    );
    await tx.exec("INSERT INTO ticket_stock (ticket_id, total_stock) VALUES (?, ?)", [
      insertId,
      input.totalStock,
    ]);
    return { id: insertId };
  });
  // Prices and seat counts of the show's list entry, detail and sessions change.
  forgetCatalog(ctx);
  // Build the session's sale state now rather than when the first buyers arrive all at once.
  await rebuildSession(ctx, input.sessionId).catch((e) =>
    ctx.log.warn("sale state not built ahead (built on first use)", {
      sessionId: input.sessionId,
      ...errorFields(e),
    })
  );
  return created;
}

export interface TicketChanges {
  name?: string;
  price?: number;
  limitCount?: number;
  status?: number;
  totalStock?: number;
}

/**
 * Changes a tier. The total stock may not fall below what is already locked or sold: that is a
 * 409, and nothing changes.
 */
export async function updateTicket(
  ctx: AppContext,
  ticketId: number,
  changes: TicketChanges,
): Promise<void> {
  const row = await findTicketRow(ctx, ticketId, ctx.db);
  await ctx.db.tx(async (tx) => {
    const sets: string[] = [];
    const values: (string | number)[] = [];
    for (
      const [field, column] of [
        ["name", "name"],
        ["price", "price"],
        ["limitCount", "limit_count"],
        ["status", "status"],
      ] as const
    ) {
      if (changes[field] !== undefined) {
        sets.push(`${column} = ?`);
        values.push(changes[field]!);
      }
    }
    if (sets.length) {
      await tx.exec(`UPDATE tickets SET ${sets.join(", ")} WHERE id = ?`, [...values, ticketId]);
    }
    if (changes.totalStock !== undefined) {
      const { affectedRows } = await tx.exec(
        `UPDATE ticket_stock SET total_stock = ?, version = version + 1
          WHERE ticket_id = ? AND locked_stock + sold_stock <= ?`,
        [changes.totalStock, ticketId, changes.totalStock],
      );
      if (affectedRows === 0) {
        throw new AppError(
          "CONFLICT",
          "totalStock: cannot go below the tickets already locked or sold",
          { detail: { field: "totalStock" } },
        );
      }
    }
  });
  // Other processes pick the change up within the facts cache's lifetime (2 s) and the
  // catalog's (CATALOG_CACHE_MS).
  forgetTierFacts(ctx, ticketId);
  forgetCatalog(ctx);
  if (changes.totalStock !== undefined) await invalidateSession(ctx, row.session_id);
}

export async function deleteTicket(ctx: AppContext, ticketId: number): Promise<void> {
  const { affectedRows } = await ctx.db.exec(
    "UPDATE tickets SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
    [new Date(ctx.now()), ticketId],
  );
  if (affectedRows === 0) throw notFound(`ticket ${ticketId}`);
  forgetTierFacts(ctx, ticketId);
  forgetCatalog(ctx);
}

/**
 * Rebuilds the Redis state of the tier's session from MySQL (the admin's "sync"), then answers
 * the tier's stock. The rebuild is the same one a lost session gets, under the session's lock.
 */
export async function syncTierFromMysql(ctx: AppContext, ticketId: number): Promise<StockView> {
  const row = await findTicketRow(ctx, ticketId, ctx.db);
  await invalidateSession(ctx, row.session_id);
  await rebuildSession(ctx, row.session_id);
  return await getStock(ctx, ticketId);
}
