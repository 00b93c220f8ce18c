/**
 * After a create's commit: is its reservation still in Redis? In the usual case it is, and the
 * adopt script (which puts back a reservation Redis lost between reserve and commit) has nothing
 * to do. The creates of one group commit are answered in the same turn of the event loop, so
 * their checks are sent together: one HMGET per session for the whole batch instead of one
 * script call per order.
 */
import type { AppContext } from "#lib/platform/context.ts";

interface Waiting {
  orderNos: string[];
  answers: ((held: boolean | undefined) => void)[];
}

const queued = new WeakMap<AppContext, Map<number, Waiting>>();

/** True when the reservation is recorded, false when not, undefined when Redis did not say. */
export function reservationHeld(
  ctx: AppContext,
  sessionId: number,
  orderNo: string,
): Promise<boolean | undefined> {
  let sessions = queued.get(ctx);
  if (!sessions) {
    sessions = new Map();
    queued.set(ctx, sessions);
    // The next turn: every create of the batch has asked by then.
    setTimeout(() => {
      queued.delete(ctx);
      for (const [id, w] of sessions!) ask(ctx, id, w);
    }, 0);
  }
  let w = sessions.get(sessionId);
  if (!w) {
    w = { orderNos: [], answers: [] };
    sessions.set(sessionId, w);
  }
  w.orderNos.push(orderNo);
  return new Promise((resolve) => w.answers.push(resolve));
}

async function ask(ctx: AppContext, sessionId: number, w: Waiting): Promise<void> {
  const key = ctx.keys.reservations(sessionId);
  try {
    const values = await ctx.redis.send<(string | null)[]>(["HMGET", key, ...w.orderNos], key);
    w.answers.forEach((answer, i) => answer(values[i] !== null));
  } catch {
    for (const answer of w.answers) answer(undefined);
  }
}
