import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery, pageOf, PageQuery, pageRequest, ShowRecord } from "#http/schemas.ts";
import { listShows, STATUSES } from "#lib/catalog/shows.ts";

const STATUS_BY_TEXT: Record<string, number> = {
  ...Object.fromEntries(Object.entries(STATUSES).map(([n, s]) => [s.text, Number(n)])),
  UPCOMING: 0,
};

/** `status` as numbers or names (`ON_SALE`, `UPCOMING`...), several separated by | or ,. */
const StatusList = z.string().max(100).transform((raw, zctx) => {
  const out: number[] = [];
  for (const part of raw.split(/[|,]/).map((s) => s.trim().toUpperCase()).filter(Boolean)) {
    const n = /^\d$/.test(part) ? Number(part) : STATUS_BY_TEXT[part];
    if (n === undefined || STATUSES[n] === undefined) {
      zctx.addIssue({ code: "custom", message: `unknown status "${part}"` });
      return z.NEVER;
    }
    out.push(n);
  }
  return out;
}).openapi({ type: "string", example: "ON_SALE|NOT_ON_SALE" });

export const GET = defineRoute({
  summary: "Shows, a page at a time, with filters",
  auth: "public",
  query: z.object({
    ...PageQuery,
    type: intQuery(1, 6).optional(),
    city: z.string().max(64).optional(),
    keyword: z.string().max(100).optional(),
    status: StatusList.optional(),
    sort: z.enum(["hot", "new", "price"]).optional(),
  }),
  data: pageOf(ShowRecord),
  handler: ({ ctx, query }) =>
    listShows(ctx, {
      type: query.type,
      city: query.city,
      keyword: query.keyword,
      status: query.status,
      sort: query.sort,
    }, pageRequest(query)),
});
