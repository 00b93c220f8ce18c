import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, ShowDetail } from "#http/schemas.ts";
import { deleteShow } from "#lib/catalog/show_admin.ts";
import { getShowDetail } from "#lib/catalog/shows.ts";
import { COUNTS_MAY_LAG } from "../_fields.ts";

export const GET = defineRoute({
  summary: "A show with its sessions",
  description: COUNTS_MAY_LAG,
  auth: "public",
  params: z.object({ id: IdParam }),
  data: ShowDetail,
  handler: ({ ctx, params }) => getShowDetail(ctx, params.id),
});

export const DELETE = defineRoute({
  summary: "Delete a show (admin)",
  description: "The show leaves the catalog and stops selling; its orders stay as they are.",
  auth: "admin",
  params: z.object({ id: IdParam }),
  data: z.null(),
  handler: async ({ ctx, params }) => {
    await deleteShow(ctx, params.id);
    return null;
  },
});
