import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, SessionRecord } from "#http/schemas.ts";
import { getShow, listSessions } from "#lib/catalog/shows.ts";
import { COUNTS_MAY_LAG } from "../../_fields.ts";

export const GET = defineRoute({
  summary: "The sessions of a show (the reference client's path; = the detail's sessions)",
  description: COUNTS_MAY_LAG,
  auth: "public",
  params: z.object({ showId: IdParam }),
  data: z.array(SessionRecord),
  handler: async ({ ctx, params }) => {
    await getShow(ctx, params.showId); // 404 for an unknown or deleted show
    return await listSessions(ctx, params.showId);
  },
});
