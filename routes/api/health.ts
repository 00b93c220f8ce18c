import { z } from "#deps";
import { defineRoute } from "#http/route.ts";

export const GET = defineRoute({
  summary: "Liveness: the process is up",
  tags: ["operations"],
  auth: "public",
  data: z.object({ status: z.literal("UP") }),
  handler: () => ({ status: "UP" as const }),
});
