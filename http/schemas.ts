/**
 * Schemas shared by many routes: ids, pages, money, times, and the records the catalog returns.
 * Each names what it accepts, so a 400 can say which field was wrong and why.
 */
import { z } from "#deps";
import { TimeOut } from "#lib/platform/shapes.ts";
import { parseTime } from "#lib/platform/time.ts";

/** A positive integer id; the reference's clients sometimes send ids as digit strings. */
export const Id = z.union([
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  z.string().regex(/^[1-9]\d{0,15}$/, "expected a positive integer id").transform(Number),
]).pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).openapi({
  type: "integer",
  example: 1,
});

/** An id in a path or query (always a string on the wire). */
export const IdParam = z.string().regex(/^[1-9]\d{0,15}$/, "expected a positive integer id")
  .transform(Number).openapi({ type: "integer", example: 1 });

/** A whole number from a query string. */
export const intQuery = (min: number, max: number) =>
  z.string().regex(/^-?\d{1,9}$/, "expected a whole number").transform(Number).pipe(
    z.number().int().min(min).max(max),
  ).openapi({ type: "integer" });

export const PageQuery = {
  page: intQuery(1, 1_000_000).optional(),
  current: intQuery(1, 1_000_000).optional(),
  size: intQuery(1, 100).optional(),
};

/** `page` (or the reference's `current`) from 1, `size` 1-100 (default 10). */
export function pageRequest(q: { page?: number; current?: number; size?: number }) {
  return { page: q.page ?? q.current ?? 1, size: q.size ?? 10 };
}

/** Money sent by an admin: at most 2 decimals. */
export const Money = z.number().min(0).max(9_999_999.99).refine(
  (v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6,
  "at most 2 decimals",
).openapi({ example: 380 });

/** A time: ISO-8601, or `YYYY-MM-DD HH:mm:ss` in the service's time zone. */
export const Time = z.string().max(40).transform((s, zctx) => {
  const d = parseTime(s);
  if (!d) {
    zctx.addIssue({ code: "custom", message: "expected ISO-8601 or YYYY-MM-DD HH:mm:ss" });
    return z.NEVER;
  }
  return d;
}).openapi({ type: "string", example: "2026-12-31T19:30:00+08:00" });

/** A boolean, also as the 0/1 some clients send. */
export const Flag = z.union([
  z.boolean(),
  z.literal(0).transform(() => false),
  z.literal(1).transform(() => true),
])
  .openapi({ type: "boolean" });

/** Trimmed text of bounded length. */
export const text = (min: number, max: number) => z.string().trim().min(min).max(max);

/** A time in a reply (a Date in the code); declared with the reply shapes in lib/platform. */
export { TimeOut };

export const ShowRecord = z.object({
  id: z.number().int(),
  name: z.string(),
  title: z.string(),
  type: z.number().int(),
  typeName: z.string(),
  posterUrl: z.string().nullable(),
  venue: z.string(),
  venueName: z.string(),
  city: z.string(),
  startTime: TimeOut,
  showTime: TimeOut,
  endTime: TimeOut,
  minPrice: z.number().nullable(),
  maxPrice: z.number().nullable(),
  status: z.number().int(),
  statusName: z.string(),
  statusText: z.string(),
  isHot: z.boolean(),
  isRecommend: z.boolean(),
}).openapi("Show");

export const SessionRecord = z.object({
  id: z.number().int(),
  showId: z.number().int(),
  name: z.string(),
  startTime: TimeOut,
  endTime: TimeOut,
  saleStartTime: TimeOut,
  saleEndTime: TimeOut,
  status: z.number().int(),
  statusName: z.string(),
  totalSeats: z.number().int(),
  soldSeats: z.number().int(),
  remainSeats: z.number().int(),
}).openapi("Session");

export const ShowDetail = ShowRecord.extend({
  description: z.string().nullable(),
  sessions: z.array(SessionRecord),
}).openapi("ShowDetail");

export const TicketRecord = z.object({
  id: z.number().int(),
  showId: z.number().int(),
  sessionId: z.number().int(),
  name: z.string(),
  price: z.number(),
  limitCount: z.number().int(),
  status: z.number().int(),
  available: z.number().int(),
}).openapi("Ticket");

export const StockView = z.object({
  ticketId: z.number().int(),
  total: z.number().int(),
  locked: z.number().int(),
  sold: z.number().int(),
  available: z.number().int(),
}).openapi("Stock");

export const Created = z.object({ id: z.number().int() }).openapi("Created");

export const pageOf = <R extends z.ZodType>(record: R) =>
  z.object({
    records: z.array(record),
    total: z.number().int(),
    size: z.number().int(),
    current: z.number().int(),
    pages: z.number().int(),
  });
