import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Created, IdParam, text, Time } from "#http/schemas.ts";
import { createSession } from "#lib/catalog/show_admin.ts";

export const POST = defineRoute({
  summary: "Add a session to a show (admin)",
  description: "The sale window defaults to now until the session starts.",
  auth: "admin",
  params: z.object({ showId: IdParam }),
  body: z.object({
    name: text(1, 200),
    startTime: Time,
    endTime: Time,
    saleStartTime: Time.optional(),
    saleEndTime: Time.optional(),
    status: z.number().int().min(0).max(3).optional(),
  }),
  data: Created,
  handler: ({ ctx, params, body }) => createSession(ctx, params.showId, body),
});
