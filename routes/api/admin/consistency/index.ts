import { defineRoute } from "#http/route.ts";
import { reconcile } from "#lib/ops/reconcile.ts";
import { ConsistencyReport } from "../_schemas.ts";

export const GET = defineRoute({
  summary: "Compare Redis with MySQL for every active session (nothing is changed)",
  auth: "admin",
  data: ConsistencyReport,
  handler: ({ ctx }) => reconcile(ctx, { repair: false }),
});
