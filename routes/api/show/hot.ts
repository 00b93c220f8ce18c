import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { ShowRecord } from "#http/schemas.ts";
import { featuredShows } from "#lib/catalog/shows.ts";

export const GET = defineRoute({
  summary: "Hot shows (at most 20)",
  auth: "public",
  data: z.array(ShowRecord),
  handler: ({ ctx }) => featuredShows(ctx, "hot"),
});
