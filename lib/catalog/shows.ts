/**
 * Shows (演出) and their sessions (场次) as the public catalog reads them (show_admin.ts writes
 * them). Prices and seat counts shown with a show are derived from its tiers, never stored twice.
 * The public reads are kept for CATALOG_CACHE_MS (catalog_cache.ts): seat counts may lag by as
 * much; catalog writes of this process show at once.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { notFound } from "#lib/platform/errors.ts";
import {
  containsPattern,
  limitOffset,
  type Page,
  pageOf,
  type PageRequest,
} from "#lib/platform/pages.ts";
import { catalogCache } from "./catalog_cache.ts";

export const SHOW_TYPES: Record<number, string> = {
  1: "演唱会",
  2: "话剧",
  3: "音乐会",
  4: "展览",
  5: "体育赛事",
  6: "网咖",
};

/** Show and session status: number, Chinese name, and the reference client's text. */
export const STATUSES: Record<number, { name: string; text: string }> = {
  0: { name: "未开售", text: "NOT_ON_SALE" },
  1: { name: "售票中", text: "ON_SALE" },
  2: { name: "已售罄", text: "SOLD_OUT" },
  3: { name: "已结束", text: "ENDED" },
};

export const INTERNET_CAFE = 6;

export interface ShowRecord {
  id: number;
  name: string;
  title: string;
  type: number;
  typeName: string;
  posterUrl: string | null;
  venue: string;
  venueName: string;
  city: string;
  startTime: Date;
  showTime: Date;
  endTime: Date;
  minPrice: number | null;
  maxPrice: number | null;
  status: number;
  statusName: string;
  statusText: string;
  isHot: boolean;
  isRecommend: boolean;
}

export interface SessionRecord {
  id: number;
  showId: number;
  name: string;
  startTime: Date;
  endTime: Date;
  saleStartTime: Date;
  saleEndTime: Date;
  status: number;
  statusName: string;
  totalSeats: number;
  soldSeats: number;
  remainSeats: number;
}

export interface ShowDetail extends ShowRecord {
  description: string | null;
  sessions: SessionRecord[];
}

export interface ShowFilter {
  type?: number;
  city?: string;
  keyword?: string;
  status?: number[];
  sort?: "hot" | "new" | "price";
}

interface ShowRow {
  id: number;
  name: string;
  type: number;
  venue: string;
  city: string;
  description: string | null;
  poster_url: string | null;
  start_time: Date;
  end_time: Date;
  status: number;
  is_hot: number;
  is_recommend: number;
  min_price: number | null;
  max_price: number | null;
}

// Prices come from the live tiers of live sessions; "sold" orders shows by popularity.
const SHOW_SELECT = `
  SELECT s.id, s.name, s.type, s.venue, s.city, s.description, s.poster_url, s.start_time,
         s.end_time, s.status, s.is_hot, s.is_recommend, p.min_price, p.max_price
    FROM shows s
    LEFT JOIN (
      SELECT t.show_id, MIN(t.price) AS min_price, MAX(t.price) AS max_price,
             SUM(st.sold_stock) AS sold
        FROM tickets t
        JOIN sessions se ON se.id = t.session_id AND se.deleted_at IS NULL
        LEFT JOIN ticket_stock st ON st.ticket_id = t.id
       WHERE t.deleted_at IS NULL
       GROUP BY t.show_id
    ) p ON p.show_id = s.id`;

const ORDER_BY: Record<NonNullable<ShowFilter["sort"]> | "default", string> = {
  default: "s.start_time ASC, s.id ASC",
  hot: "s.is_hot DESC, COALESCE(p.sold, 0) DESC, s.id DESC",
  new: "s.created_at DESC, s.id DESC",
  price: "p.min_price IS NULL, p.min_price ASC, s.id ASC",
};

function toShowRecord(r: ShowRow): ShowRecord {
  const status = STATUSES[r.status] ?? STATUSES[0];
  return {
    id: r.id,
    name: r.name,
    title: r.name,
    type: r.type,
    typeName: SHOW_TYPES[r.type] ?? "",
    posterUrl: r.poster_url,
    venue: r.venue,
    venueName: r.venue,
    city: r.city,
    startTime: r.start_time,
    showTime: r.start_time,
    endTime: r.end_time,
    minPrice: r.min_price,
    maxPrice: r.max_price,
    status: r.status,
    statusName: status.name,
    statusText: status.text,
    isHot: r.is_hot === 1,
    isRecommend: r.is_recommend === 1,
  };
}

const showPages = catalogCache<string, Page<ShowRecord>>();
const featured = catalogCache<"hot" | "recommend", ShowRecord[]>();
const showRows = catalogCache<number, ShowRow>();
const sessionLists = catalogCache<number, SessionRecord[]>();
const sessionRecords = catalogCache<number, SessionRecord>();
const details = catalogCache<number, ShowDetail>();

export function listShows(
  ctx: AppContext,
  filter: ShowFilter,
  req: PageRequest,
): Promise<Page<ShowRecord>> {
  // The same page however the request spelled it: a status list in any order, none or empty.
  const status = filter.status?.length ? [...new Set(filter.status)].sort((a, b) => a - b) : null;
  const key = JSON.stringify([
    filter.type ?? null,
    filter.city ?? null,
    filter.keyword ?? null,
    status,
    filter.sort ?? null,
    req.page,
    req.size,
  ]);
  return showPages.get(ctx, key, () => loadShows(ctx, filter, req));
}

async function loadShows(
  ctx: AppContext,
  filter: ShowFilter,
  req: PageRequest,
): Promise<Page<ShowRecord>> {
  const where = ["s.deleted_at IS NULL"];
  const params: (string | number)[] = [];
  if (filter.type !== undefined) {
    where.push("s.type = ?");
    params.push(filter.type);
  }
  if (filter.city !== undefined) {
    where.push("s.city = ?");
    params.push(filter.city);
  }
  if (filter.keyword !== undefined) {
    const like = containsPattern(filter.keyword);
    where.push("(s.name LIKE ? OR s.venue LIKE ? OR s.city LIKE ?)");
    params.push(like, like, like);
  }
  if (filter.status !== undefined && filter.status.length > 0) {
    where.push(`s.status IN (${filter.status.map(() => "?").join(", ")})`);
    params.push(...filter.status);
  }
  const whereSql = where.join(" AND ");
  const [{ total }] = await ctx.db.read.rows<{ total: number }>(
    `SELECT COUNT(*) AS total FROM shows s WHERE ${whereSql}`,
    params,
  );
  const rows = await ctx.db.read.rows<ShowRow>(
    `${SHOW_SELECT} WHERE ${whereSql} ORDER BY ${
      ORDER_BY[filter.sort ?? "default"]
    } LIMIT ? OFFSET ?`,
    [...params, ...limitOffset(req)],
  );
  return pageOf(rows.map(toShowRecord), Number(total), req);
}

/** Hot (`is_hot`) or recommended (`is_recommend`) shows, at most 20. */
export function featuredShows(
  ctx: AppContext,
  which: "hot" | "recommend",
): Promise<ShowRecord[]> {
  return featured.get(ctx, which, () => loadFeatured(ctx, which));
}

async function loadFeatured(
  ctx: AppContext,
  which: "hot" | "recommend",
): Promise<ShowRecord[]> {
  const column = which === "hot" ? "s.is_hot" : "s.is_recommend";
  const rows = await ctx.db.read.rows<ShowRow>(
    `${SHOW_SELECT} WHERE s.deleted_at IS NULL AND ${column} = 1
      ORDER BY s.status = 1 DESC, s.start_time ASC, s.id ASC LIMIT 20`,
  );
  return rows.map(toShowRecord);
}

async function loadShowRow(ctx: AppContext, showId: number): Promise<ShowRow> {
  const [row] = await ctx.db.read.rows<ShowRow>(
    `${SHOW_SELECT} WHERE s.id = ? AND s.deleted_at IS NULL`,
    [showId],
  );
  if (!row) throw notFound(`show ${showId}`);
  return row;
}

// A 404 is a failed load: not kept, so a show created elsewhere appears at its first read.
const findShowRow = (ctx: AppContext, showId: number) =>
  showRows.get(ctx, showId, () => loadShowRow(ctx, showId));

export async function getShow(ctx: AppContext, showId: number): Promise<ShowRecord> {
  return toShowRecord(await findShowRow(ctx, showId));
}

/** The show as MySQL has it now, never from the cache: what a write checks against. */
export async function getShowUncached(ctx: AppContext, showId: number): Promise<ShowRecord> {
  return toShowRecord(await loadShowRow(ctx, showId));
}

export function getShowDetail(ctx: AppContext, showId: number): Promise<ShowDetail> {
  // Kept whole (not only its parts): the same object each time, whose JSON is written once.
  return details.get(ctx, showId, () => loadShowDetail(ctx, showId));
}

async function loadShowDetail(ctx: AppContext, showId: number): Promise<ShowDetail> {
  const row = await findShowRow(ctx, showId);
  return {
    ...toShowRecord(row),
    description: row.description,
    sessions: await listSessions(ctx, showId),
  };
}

/** The show with one of its sessions (`GET /api/show/info`). */
export async function getShowInfo(
  ctx: AppContext,
  showId: number,
  sessionId: number,
): Promise<ShowDetail & { session: SessionRecord }> {
  const detail = await getShowDetail(ctx, showId);
  const session = detail.sessions.find((s) => s.id === sessionId);
  if (!session) throw notFound(`session ${sessionId} of show ${showId}`);
  return { ...detail, session };
}

interface SessionRow {
  id: number;
  show_id: number;
  name: string;
  start_time: Date;
  end_time: Date;
  sale_start_time: Date;
  sale_end_time: Date;
  status: number;
  total: number | null;
  locked: number | null;
  sold: number | null;
}

const SESSION_SELECT = `
  SELECT se.id, se.show_id, se.name, se.start_time, se.end_time, se.sale_start_time,
         se.sale_end_time, se.status, SUM(st.total_stock) AS total, SUM(st.locked_stock) AS locked,
         SUM(st.sold_stock) AS sold
    FROM sessions se
    LEFT JOIN tickets t ON t.session_id = se.id AND t.deleted_at IS NULL
    LEFT JOIN ticket_stock st ON st.ticket_id = t.id`;

function toSessionRecord(r: SessionRow): SessionRecord {
  const total = Number(r.total ?? 0);
  const sold = Number(r.sold ?? 0);
  return {
    id: r.id,
    showId: r.show_id,
    name: r.name,
    startTime: r.start_time,
    endTime: r.end_time,
    saleStartTime: r.sale_start_time,
    saleEndTime: r.sale_end_time,
    status: r.status,
    statusName: (STATUSES[r.status] ?? STATUSES[0]).name,
    totalSeats: total,
    soldSeats: sold,
    remainSeats: total - sold - Number(r.locked ?? 0),
  };
}

export function listSessions(ctx: AppContext, showId: number): Promise<SessionRecord[]> {
  return sessionLists.get(ctx, showId, () => loadSessions(ctx, showId));
}

async function loadSessions(ctx: AppContext, showId: number): Promise<SessionRecord[]> {
  const rows = await ctx.db.read.rows<SessionRow>(
    `${SESSION_SELECT} WHERE se.show_id = ? AND se.deleted_at IS NULL
      GROUP BY se.id ORDER BY se.start_time, se.id`,
    [showId],
  );
  return rows.map(toSessionRecord);
}

export function getSession(ctx: AppContext, sessionId: number): Promise<SessionRecord> {
  return sessionRecords.get(ctx, sessionId, () => loadSession(ctx, sessionId));
}

async function loadSession(ctx: AppContext, sessionId: number): Promise<SessionRecord> {
  const [row] = await ctx.db.read.rows<SessionRow>(
    `${SESSION_SELECT} JOIN shows sh ON sh.id = se.show_id AND sh.deleted_at IS NULL
      WHERE se.id = ? AND se.deleted_at IS NULL GROUP BY se.id`,
    [sessionId],
  );
  if (!row) throw notFound(`session ${sessionId}`);
  return toSessionRecord(row);
}
