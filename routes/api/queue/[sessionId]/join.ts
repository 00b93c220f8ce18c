import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { joinQueue } from "#lib/queue/admission.ts";
import { QueueView, VIEW_DESCRIPTION } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Join a session's waiting room; joining again keeps the first place",
  description: VIEW_DESCRIPTION,
  auth: "user",
  params: z.object({ sessionId: IdParam }),
  data: QueueView,
  handler: ({ ctx, caller, params }) => joinQueue(ctx, caller.userId, params.sessionId),
});
