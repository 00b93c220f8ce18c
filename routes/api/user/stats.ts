import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { userStats } from "#lib/accounts/profiles.ts";

const count = z.number().int();

export const GET = defineRoute({
  summary: "The caller's orders counted by status, tickets bought and money spent",
  auth: "user",
  data: z.object({
    userId: count,
    totalOrders: count,
    pendingOrders: count,
    paidOrders: count,
    cancelledOrders: count,
    expiredOrders: count,
    refundedOrders: count,
    ticketsBought: count,
    totalSpent: z.number(),
    pendingAmount: z.number(),
  }).openapi("UserStats"),
  handler: ({ ctx, caller }) => userStats(ctx, caller.userId),
});
