import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery, StockView } from "#http/schemas.ts";
import { syncTierFromMysql } from "#lib/catalog/tickets.ts";

export const POST = defineRoute({
  summary: "Rebuild a tier's session in Redis from MySQL (admin); answers the tier's stock",
  auth: "admin",
  query: z.object({ ticketId: intQuery(1, Number.MAX_SAFE_INTEGER) }),
  data: StockView,
  handler: ({ ctx, query }) => syncTierFromMysql(ctx, query.ticketId),
});
