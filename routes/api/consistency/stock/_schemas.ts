/** Reply schemas of the stock consistency routes (a helper, not a route). */
import { z } from "#deps";
import { ConsistencyReport } from "../../admin/_schemas.ts";

const Counters = z.object({
  total: z.number().int(),
  locked: z.number().int(),
  sold: z.number().int(),
  available: z.number().int(),
});

export const TierConsistency = z.object({
  ticketId: z.number().int(),
  sessionId: z.number().int(),
  built: z.boolean(),
  consistent: z.boolean(),
  mysql: Counters,
  redis: Counters.nullable(),
  differences: z.array(z.object({
    sessionId: z.number().int(),
    kind: z.string(),
    key: z.string(),
    mysql: z.unknown(),
    redis: z.unknown(),
  })),
  repaired: z.boolean().optional(),
}).openapi("TierConsistency");

export const AllConsistency = ConsistencyReport.extend({ consistent: z.boolean() }).openapi(
  "StockConsistency",
);
