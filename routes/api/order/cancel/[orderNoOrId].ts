import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { cancelOrder } from "#lib/orders/lifecycle.ts";
import { OrderRef } from "../_schemas.ts";

export const PUT = defineRoute({
  summary: "Cancel an unpaid order by number or id",
  auth: "user",
  params: z.object({ orderNoOrId: OrderRef }),
  data: z.literal(true),
  handler: ({ ctx, caller, params }) => cancelOrder(ctx, caller.userId, params.orderNoOrId),
});
