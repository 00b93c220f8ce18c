import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Id, text, Time } from "#http/schemas.ts";
import { createOrder } from "#lib/orders/create.ts";
import { requireQueuePass } from "#lib/queue/gate.ts";
import { idempotencyKeyOf } from "./_schemas.ts";

export const POST = defineRoute({
  summary: "Create an order; the reply is its order number",
  description: "Prices are the server's: client-sent prices and userId are ignored. " +
    "The same Idempotency-Key (or the same request within DEDUP_WINDOW_SECONDS) returns the " +
    "first order's number. While the session's waiting room is on, the buyer's pass goes in " +
    "X-Queue-Pass (else 403 QUEUE_PASS_REQUIRED).",
  auth: "user",
  body: z.object({
    showId: Id.optional(),
    sessionId: Id.optional(),
    ticketId: Id.optional(),
    quantity: z.number().int().min(1).max(1_000_000).optional(),
    seatIds: z.array(Id).max(100).optional(),
    seatId: Id.optional(),
    bookingDate: Time.optional(),
    bookingEndTime: Time.optional(),
    bookingDuration: z.number().optional(),
    contactPhone: text(0, 20).optional(),
    remark: text(0, 500).optional(),
  }),
  data: z.string().openapi({ example: "20261126120000123456001" }),
  handler: async ({ ctx, body, caller, c }) => {
    await requireQueuePass(ctx, caller, body, c.req.header("x-queue-pass"));
    return await createOrder(ctx, caller.userId, {
      ...body,
      idempotencyKey: idempotencyKeyOf(c.req.header("idempotency-key")),
    });
  },
});
