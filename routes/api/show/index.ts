import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Created } from "#http/schemas.ts";
import { createShow } from "#lib/catalog/show_admin.ts";
import { ShowFields } from "./_fields.ts";

export const POST = defineRoute({
  summary: "Create a show (admin)",
  auth: "admin",
  body: z.object(ShowFields),
  data: Created,
  handler: ({ ctx, body }) => createShow(ctx, body),
});
