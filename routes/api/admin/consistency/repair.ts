import { defineRoute } from "#http/route.ts";
import { reconcile } from "#lib/ops/reconcile.ts";
import { ConsistencyReport } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Repair every active session's Redis state toward MySQL; report what was done",
  auth: "admin",
  data: ConsistencyReport,
  handler: ({ ctx }) => reconcile(ctx, { repair: true }),
});
