import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { updateShow } from "#lib/catalog/show_admin.ts";
import { ShowFields } from "./_fields.ts";

// GET /api/show/{id} is the reference's second path to the detail.
export { GET } from "./detail/[id].ts";

export const PUT = defineRoute({
  summary: "Change a show (admin); every field optional",
  auth: "admin",
  params: z.object({ id: IdParam }),
  body: z.object(ShowFields).partial(),
  data: z.null(),
  handler: async ({ ctx, params, body }) => {
    await updateShow(ctx, params.id, body);
    return null;
  },
});
