import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, SessionRecord, ShowDetail } from "#http/schemas.ts";
import { getShowInfo } from "#lib/catalog/shows.ts";
import { COUNTS_MAY_LAG } from "./_fields.ts";

export const GET = defineRoute({
  summary: "A show with one of its sessions",
  description: COUNTS_MAY_LAG,
  auth: "public",
  query: z.object({ showId: IdParam, sessionId: IdParam }),
  data: ShowDetail.extend({ session: SessionRecord }),
  handler: ({ ctx, query }) => getShowInfo(ctx, query.showId, query.sessionId),
});
