import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { payOrder } from "#lib/orders/lifecycle.ts";
import { OrderRef, PayType } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Pay an order by number or id",
  auth: "user",
  params: z.object({ orderNoOrId: OrderRef }),
  body: z.object({ payType: PayType.optional() }),
  bodyOptional: true,
  data: z.literal(true),
  handler: ({ ctx, caller, params, body }) =>
    payOrder(ctx, caller.userId, params.orderNoOrId, body.payType ?? 1),
});
