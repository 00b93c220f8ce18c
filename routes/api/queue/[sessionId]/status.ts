import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { queueStatus } from "#lib/queue/admission.ts";
import { QueueView, VIEW_DESCRIPTION } from "../_schemas.ts";

export const GET = defineRoute({
  summary: "The caller's place in a session's waiting room, and their pass once admitted",
  description: `${VIEW_DESCRIPTION} 404 when the caller is not in the room (never joined, or ` +
    "their pass expired). Poll about every estimatedWaitSeconds / 2 (0.5-10 s); polls also " +
    "move the room on.",
  auth: "user",
  params: z.object({ sessionId: IdParam }),
  data: QueueView,
  handler: ({ ctx, caller, params }) => queueStatus(ctx, caller.userId, params.sessionId),
});
