import { z } from "#deps";
import { TimeOut } from "#http/schemas.ts";

export const QueueView = z.object({
  state: z.enum(["waiting", "admitted", "sold_out"]),
  position: z.number().int().optional().openapi({
    description: "1 = next to be admitted; absent before the opening (the order is drawn then)",
  }),
  ahead: z.number().int().optional(),
  estimatedWaitSeconds: z.number().int().optional(),
  pass: z.string().optional().openapi({
    description: "Send it as X-Queue-Pass with seat holds and order creates of this session",
    example: "qp1.7.42.1796000000000.3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  }),
  passExpiresAt: TimeOut.optional(),
}).openapi("QueueView");

export const VIEW_DESCRIPTION = "While the room is on, `state` is `waiting` (with `position`, " +
  "`ahead` and `estimatedWaitSeconds`; before the opening only the seconds until it, as the " +
  "order of early joiners is drawn at random then), `admitted` (with `pass` and " +
  "`passExpiresAt`) or `sold_out` (nothing left to sell; admission resumes if stock comes " +
  "back). A pass that expired is forgotten: join again to queue at the back. While the room " +
  "is off the answer is `admitted` without a pass: none is needed.";
