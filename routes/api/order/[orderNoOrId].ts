import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { getOrder } from "#lib/orders/queries.ts";
import { OrderDetail, OrderRef } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "One of the caller's orders, by number or id",
  auth: "user",
  params: z.object({ orderNoOrId: OrderRef }),
  data: OrderDetail,
  handler: ({ ctx, caller, params }) => getOrder(ctx, caller, params.orderNoOrId),
});
