import { defineRoute } from "#http/route.ts";
import { monitorHealth } from "#lib/ops/stock_monitor.ts";
import { Health } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "Health of the stores and of the replies (admin)",
  description: "UP when MySQL and Redis answer, under 5 % of replies are 5xx and the mean reply " +
    "is under 1 s; DOWN when neither store answers; DEGRADED otherwise. boxoffice has no " +
    "service registry: `nacos` is UP while this process serves with its scripts loaded.",
  auth: "admin",
  data: Health,
  handler: ({ ctx }) => monitorHealth(ctx),
});
