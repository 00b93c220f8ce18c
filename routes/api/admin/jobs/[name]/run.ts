import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { runJobNow } from "#lib/ops/jobs/runner.ts";
import { JobRun } from "../../_schemas.ts";

export const POST = defineRoute({
  summary: "Run a job now and wait for its result",
  description: "Names as listed by GET /api/admin/jobs. When another instance is running the " +
    "job, the reply is 409 LEASE_TAKEN with the skipped run in `detail`.",
  auth: "admin",
  params: z.object({ name: z.string().regex(/^[a-z][a-z-]{0,63}$/, "expected a job name") }),
  data: JobRun,
  handler: ({ ctx, params }) => runJobNow(ctx, params.name),
});
