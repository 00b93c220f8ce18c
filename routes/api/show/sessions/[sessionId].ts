import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, SessionRecord } from "#http/schemas.ts";
import { getSession } from "#lib/catalog/shows.ts";
import { COUNTS_MAY_LAG } from "../_fields.ts";

export const GET = defineRoute({
  summary: "One session (the reference client's path)",
  description: COUNTS_MAY_LAG,
  auth: "public",
  params: z.object({ sessionId: IdParam }),
  data: SessionRecord,
  handler: ({ ctx, params }) => getSession(ctx, params.sessionId),
});
