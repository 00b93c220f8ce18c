/**
 * What the purchase path needs to know about a tier besides its stock: its session and show,
 * price, per-user limit and whether it is on sale. Read from MySQL and kept in this process for
 * a couple of seconds, so the hot path of a flash sale does not repeat the same SELECT for every
 * buyer; admin changes made through this process drop the entry at once.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { contextCache } from "#lib/platform/context_cache.ts";
import { AppError, notFound } from "#lib/platform/errors.ts";

export interface TierFacts {
  ticketId: number;
  ticketName: string;
  price: number;
  limitCount: number;
  ticketStatus: number;
  sessionId: number;
  sessionName: string;
  sessionStatus: number;
  saleStart: number;
  saleEnd: number;
  showId: number;
  showName: string;
  showType: number;
  showStatus: number;
  venue: string;
  /** The tier sells seats (it has seat areas): orders must name them. */
  seated: boolean;
}

const TTL_MS = 2000;
const cache = contextCache<number, TierFacts>(TTL_MS);

interface FactsRow {
  id: number;
  name: string;
  price: number;
  limit_count: number;
  status: number;
  session_id: number;
  session_name: string;
  session_status: number;
  sale_start_time: Date;
  sale_end_time: Date;
  show_id: number;
  show_name: string;
  show_type: number;
  show_status: number;
  venue: string;
  seated: number;
}

/** The facts of a live tier (404 when it, its session or its show is unknown or deleted). */
export function getTierFacts(ctx: AppContext, ticketId: number): Promise<TierFacts> {
  return cache.get(ctx, ticketId, () => loadTierFacts(ctx, ticketId));
}

async function loadTierFacts(ctx: AppContext, ticketId: number): Promise<TierFacts> {
  const [row] = await ctx.db.read.rows<FactsRow>(
    `SELECT t.id, t.name, t.price, t.limit_count, t.status,
            se.id AS session_id, se.name AS session_name, se.status AS session_status,
            se.sale_start_time, se.sale_end_time,
            sh.id AS show_id, sh.name AS show_name, sh.type AS show_type,
            sh.status AS show_status, sh.venue,
            EXISTS (SELECT 1 FROM seat_areas a WHERE a.ticket_id = t.id AND a.deleted_at IS NULL)
              AS seated
       FROM tickets t
       JOIN sessions se ON se.id = t.session_id AND se.deleted_at IS NULL
       JOIN shows sh ON sh.id = t.show_id AND sh.deleted_at IS NULL
      WHERE t.id = ? AND t.deleted_at IS NULL`,
    [ticketId],
  );
  if (!row) throw notFound(`ticket ${ticketId}`);
  return {
    ticketId: row.id,
    ticketName: row.name,
    price: Number(row.price),
    limitCount: row.limit_count,
    ticketStatus: row.status,
    sessionId: row.session_id,
    sessionName: row.session_name,
    sessionStatus: row.session_status,
    saleStart: row.sale_start_time.getTime(),
    saleEnd: row.sale_end_time.getTime(),
    showId: row.show_id,
    showName: row.show_name,
    showType: row.show_type,
    showStatus: row.show_status,
    venue: row.venue,
    seated: Boolean(row.seated),
  };
}

/** Drops cached facts (all, or one tier's) after an admin change. */
export function forgetTierFacts(ctx: AppContext, ticketId?: number): void {
  cache.forget(ctx, ticketId);
}

/** Throws NOT_ON_SALE unless the tier, its session and its show sell at `now`. */
export function assertOnSale(f: TierFacts, now: number): void {
  const why = f.showStatus === 0 || f.showStatus === 3
    ? `show ${f.showId} is not on sale`
    : f.sessionStatus !== 1 && f.sessionStatus !== 2
    ? `session ${f.sessionId} is not on sale`
    : f.ticketStatus !== 1
    ? `ticket ${f.ticketId} is not on sale`
    : now < f.saleStart
    ? `session ${f.sessionId} goes on sale at ${new Date(f.saleStart).toISOString()}`
    : now > f.saleEnd
    ? `the sale of session ${f.sessionId} ended at ${new Date(f.saleEnd).toISOString()}`
    : null;
  if (why) throw new AppError("NOT_ON_SALE", why);
}
