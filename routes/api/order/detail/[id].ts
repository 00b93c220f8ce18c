import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { getOrder } from "#lib/orders/queries.ts";
import { OrderDetail, OrderRef } from "../_schemas.ts";

export const GET = defineRoute({
  summary: "One of the caller's orders, by id (or number)",
  auth: "user",
  params: z.object({ id: OrderRef }),
  data: OrderDetail,
  handler: ({ ctx, caller, params }) => getOrder(ctx, caller, params.id),
});
