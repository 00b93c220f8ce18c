import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { audit } from "#lib/ops/audit.ts";

export const GET = defineRoute({
  summary: "Seat invariants (no seat in two active orders) and Redis/MySQL agreement (admin)",
  auth: "admin",
  data: z.object({
    ok: z.boolean(),
    checks: z.array(z.unknown()),
    violations: z.array(z.unknown()),
  }),
  handler: async ({ ctx }) => {
    const report = await audit(ctx);
    return report;
  },
});
