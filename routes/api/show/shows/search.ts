import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { pageOf, PageQuery, pageRequest, ShowRecord } from "#http/schemas.ts";
import { listShows, SHOW_TYPES } from "#lib/catalog/shows.ts";

/** The reference's category: a type number (1-6) or its name (演唱会, 话剧, ...). */
const Category = z.string().max(20).transform((raw, zctx) => {
  const s = raw.trim();
  const type = /^[1-6]$/.test(s)
    ? Number(s)
    : Number(Object.entries(SHOW_TYPES).find(([, name]) => name === s)?.[0]);
  if (!type) {
    zctx.addIssue({ code: "custom", message: `unknown category "${s}"` });
    return z.NEVER;
  }
  return type;
}).openapi({ type: "string", example: "话剧" });

export const GET = defineRoute({
  summary: "Search shows by keyword (the reference client's path; = GET /api/show/list)",
  auth: "public",
  query: z.object({
    ...PageQuery,
    keyword: z.string().max(100).optional(),
    category: Category.optional(),
    city: z.string().max(64).optional(),
  }),
  data: pageOf(ShowRecord),
  handler: ({ ctx, query }) =>
    listShows(
      ctx,
      { keyword: query.keyword, type: query.category, city: query.city },
      pageRequest(query),
    ),
});
