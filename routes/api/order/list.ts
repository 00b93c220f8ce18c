import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery, pageOf, PageQuery, pageRequest } from "#http/schemas.ts";
import { listOrders } from "#lib/orders/queries.ts";
import { OrderDetail } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "The caller's orders, newest first (userId in the query is ignored)",
  auth: "user",
  query: z.object({ ...PageQuery, status: intQuery(0, 4).optional() }),
  data: pageOf(OrderDetail),
  handler: ({ ctx, caller, query }) =>
    listOrders(ctx, caller.userId, { status: query.status }, pageRequest(query)),
});
