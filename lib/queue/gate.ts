/**
 * The door of a waiting room: while a session's room is on, seat holds and order creates for it
 * need the buyer's pass (`X-Queue-Pass`). Checked in process: which rooms are on comes from
 * memory (lib/queue/rooms.ts, at most 2 s stale), the pass by its signature and expiry; no
 * store is asked per request. With no room on anywhere, a request costs one map lookup.
 *
 * A route calls it before its domain call:
 *
 * ```ts
 * handler: async ({ ctx, caller, body, c }) => {
 *   await requireQueuePass(ctx, caller, body, c.req.header("x-queue-pass"));
 *   return await holdSeats(ctx, caller.userId, body);
 * },
 * ```
 */
import type { Caller } from "#lib/accounts/tokens.ts";
import { getTierFacts } from "#lib/catalog/tier_facts.ts";
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, isAppError } from "#lib/platform/errors.ts";
import { passKey } from "./admission.ts";
import { type PassCheck, verifyPass } from "./pass.ts";
import { enabledRooms } from "./rooms.ts";

/**
 * The session a request is for: its id, or the request's own fields, from which the session
 * is found (the tier's, or the seats') only when some room is on. Fields that do not agree with
 * each other are the domain's to refuse (400) afterwards.
 */
export type SessionRef =
  | number
  | undefined
  | { sessionId?: number; ticketId?: number; seatIds?: number[]; seatId?: number };

export async function requireQueuePass(
  ctx: AppContext,
  caller: Caller,
  session: SessionRef,
  header: string | undefined,
): Promise<void> {
  const rooms = await enabledRooms(ctx);
  if (rooms.size === 0) return;
  const sessionId = (await sessionsOf(ctx, session)).find((s) => rooms.has(s));
  if (sessionId === undefined) return;
  const join = `join the waiting room: POST /api/queue/${sessionId}/join`;
  if (!header) {
    throw new AppError("QUEUE_PASS_REQUIRED", `X-Queue-Pass: missing (${join})`, {
      detail: { sessionId, reason: "missing" },
    });
  }
  const check = await verifyPass(await passKey(ctx), header, {
    sessionId,
    userId: caller.userId,
    now: ctx.now(),
  });
  if (!check.ok) {
    throw new AppError("QUEUE_PASS_REQUIRED", `X-Queue-Pass: ${WHY[check.reason]} (${join})`, {
      detail: { sessionId, reason: check.reason },
    });
  }
}

const WHY: Record<Extract<PassCheck, { ok: false }>["reason"], string> = {
  malformed: "not a pass",
  bad_signature: "not a pass of this service",
  other_session: "a pass for another session",
  other_buyer: "another buyer's pass",
  expired: "the pass has expired",
};

async function sessionsOf(ctx: AppContext, ref: SessionRef): Promise<number[]> {
  if (ref === undefined) return [];
  if (typeof ref === "number") return [ref];
  if (ref.sessionId !== undefined) return [ref.sessionId];
  const seatIds = ref.seatIds ?? (ref.seatId !== undefined ? [ref.seatId] : []);
  if (seatIds.length > 0) return await seatSessions(ctx, seatIds);
  if (ref.ticketId !== undefined) {
    try {
      return [(await getTierFacts(ctx, ref.ticketId)).sessionId];
    } catch (e) {
      if (isAppError(e) && e.code === "NOT_FOUND") return []; // the domain answers 404
      throw e;
    }
  }
  return [];
}

/** One indexed read; the seat routes read the same rows right after (they are hot in MySQL). */
async function seatSessions(ctx: AppContext, seatIds: number[]): Promise<number[]> {
  // The domain refuses more than a few seats per request; look up no more than it accepts.
  const ids = [...new Set(seatIds)].slice(0, 100);
  const rows = await ctx.db.read.rows<{ session_id: number }>(
    `SELECT DISTINCT session_id FROM seats WHERE id IN (${ids.map(() => "?").join(", ")})`,
    ids,
  );
  return rows.map((r) => Number(r.session_id));
}
