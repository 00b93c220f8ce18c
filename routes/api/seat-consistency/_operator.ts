/** The seats of an operator's hold or release (a helper, not a route). */
import { z } from "#deps";
import { Id, IdParam, Time } from "#http/schemas.ts";
import { invalid } from "#lib/platform/errors.ts";

/** As the reference's consistency page sends it: query `seatId`, `sessionId` (`userId` ignored). */
export const OperatorQuery = z.object({
  seatId: IdParam.optional(),
  sessionId: IdParam.optional(),
});

/** Or a JSON body, like POST /api/seat/lock. */
export const OperatorBody = z.object({
  sessionId: Id.optional(),
  seatIds: z.array(Id).max(100).optional(),
  seatId: Id.optional(),
  startTime: Time.optional(),
  hours: z.number().optional(),
});

export function operatorSeats(
  query: z.infer<typeof OperatorQuery>,
  body: z.infer<typeof OperatorBody>,
): { sessionId?: number; seatIds: number[]; startTime?: Date; hours?: number } {
  const seatIds = body.seatIds ??
    (body.seatId ?? query.seatId ? [body.seatId ?? query.seatId!] : []);
  if (seatIds.length === 0) throw invalid("seatIds", "name the seats (seatIds, or seatId)");
  return {
    sessionId: body.sessionId ?? query.sessionId,
    seatIds,
    startTime: body.startTime,
    hours: body.hours,
  };
}
