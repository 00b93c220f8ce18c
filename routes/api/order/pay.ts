import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { AppError } from "#lib/platform/errors.ts";
import { payOrder } from "#lib/orders/lifecycle.ts";
import { OrderRef, PayType } from "./_schemas.ts";

const PAYMENT_METHODS: Record<string, number> = {
  ALIPAY: 1,
  WECHAT: 2,
  WECHAT_PAY: 2,
  CARD: 3,
  BANK_CARD: 3,
};

export const POST = defineRoute({
  summary: "Pay an order: query orderNo & payType, or a JSON body",
  description: "Body form: orderNo or orderId, and payType (1-3) or paymentMethod " +
    "(ALIPAY, WECHAT, WECHAT_PAY, CARD, BANK_CARD). Paying a paid order answers true again.",
  auth: "user",
  query: z.object({
    orderNo: OrderRef.optional(),
    payType: z.string().regex(/^[1-3]$/, "expected 1, 2 or 3").transform(Number).optional(),
  }),
  body: z.object({
    orderNo: OrderRef.optional(),
    orderId: z.union([OrderRef, z.number().int().positive().transform(String)]).optional(),
    payType: PayType.optional(),
    paymentMethod: z.enum(Object.keys(PAYMENT_METHODS) as [string, ...string[]]).optional(),
  }),
  bodyOptional: true,
  data: z.literal(true),
  handler: ({ ctx, caller, query, body }) => {
    const ref = query.orderNo ?? body.orderNo ?? body.orderId;
    if (!ref) throw new AppError("VALIDATION_FAILED", "orderNo: required");
    const payType = query.payType ?? body.payType ??
      (body.paymentMethod ? PAYMENT_METHODS[body.paymentMethod] : 1);
    return payOrder(ctx, caller.userId, ref, payType);
  },
});
