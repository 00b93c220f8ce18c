import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { AppError } from "#lib/platform/errors.ts";
import { checkReadiness } from "#lib/ops/readiness.ts";

export const GET = defineRoute({
  summary: "Readiness: Redis and MySQL answer, migrations applied, scripts loaded",
  description: "503 naming the failing dependency when not ready.",
  tags: ["operations"],
  auth: "public",
  data: z.object({ status: z.literal("READY"), checks: z.record(z.string(), z.string()) }),
  handler: async ({ ctx }) => {
    const { ready, checks } = await checkReadiness(ctx);
    if (!ready) {
      const failing = Object.entries(checks).filter(([, v]) => v !== "ok");
      throw new AppError(
        "UNAVAILABLE",
        `not ready: ${failing.map(([k, v]) => `${k} ${v}`).join(", ")}`,
        { retryAfter: 1, detail: checks },
      );
    }
    return { status: "READY" as const, checks };
  },
});
