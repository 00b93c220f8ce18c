import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Created, Id } from "#http/schemas.ts";
import { createShow, updateShow } from "#lib/catalog/show_admin.ts";
import { ShowFields } from "./_fields.ts";

export const POST = defineRoute({
  summary: "Create a show (admin)",
  auth: "admin",
  body: z.object(ShowFields),
  data: Created,
  handler: ({ ctx, body }) => createShow(ctx, body),
});

export const PUT = defineRoute({
  summary: "Change a show (admin), its id in the body (= PUT /api/show/{id})",
  auth: "admin",
  body: z.object(ShowFields).partial().extend({ id: Id }),
  data: z.null(),
  handler: async ({ ctx, body: { id, ...changes } }) => {
    await updateShow(ctx, id, changes);
    return null;
  },
});
