import { z } from "#deps";

export const SeatConsistency = z.object({
  seatId: z.number().int(),
  sessionId: z.number().int(),
  mysql: z.object({
    disabled: z.boolean(),
    orderNo: z.string().nullable(),
    orderStatus: z.number().int().nullable(),
  }),
  redis: z.object({
    built: z.boolean(),
    state: z.string().nullable(),
    holder: z.number().int().nullable(),
  }),
  consistent: z.boolean(),
}).openapi("SeatConsistency");

export const Verified = z.object({
  checked: z.number().int(),
  repaired: z.boolean(),
  seats: z.array(SeatConsistency),
});
