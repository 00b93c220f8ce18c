import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { cancelOrder } from "#lib/orders/lifecycle.ts";
import { OrderRef } from "./_schemas.ts";

export const POST = defineRoute({
  summary: "Cancel an unpaid order (query orderNo); cancelling again answers true",
  auth: "user",
  query: z.object({ orderNo: OrderRef }),
  data: z.literal(true),
  handler: ({ ctx, caller, query }) => cancelOrder(ctx, caller.userId, query.orderNo),
});
