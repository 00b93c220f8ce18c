import { defineRoute } from "#http/route.ts";
import { jobsStatus } from "#lib/ops/jobs/status.ts";
import { JobsStatus } from "../_schemas.ts";

export const GET = defineRoute({
  summary: "The background jobs: schedule and last run; compensations waiting for a human",
  auth: "admin",
  data: JobsStatus,
  handler: ({ ctx }) => jobsStatus(ctx),
});
