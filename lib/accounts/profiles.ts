/**
 * Profile calls of the reference clients beyond lib/accounts/users.ts: another account's
 * profile (the caller's own, or any for an admin), the caller's order statistics, and a token
 * refresh that revokes the token it replaces.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError } from "#lib/platform/errors.ts";
import { type Caller, issueToken, revokeToken } from "./tokens.ts";
import { getUserInfo, type UserInfo } from "./users.ts";

/** A profile by id: the caller's own, or any for an admin (403 otherwise, whether it exists). */
export async function userInfoFor(
  ctx: AppContext,
  caller: Caller,
  userId: number,
): Promise<UserInfo> {
  if (caller.role !== "admin" && caller.userId !== userId) {
    throw new AppError("FORBIDDEN", "only your own profile (or an admin)");
  }
  return await getUserInfo(ctx, userId);
}

export interface UserStats {
  userId: number;
  /** Orders in every status. */
  totalOrders: number;
  pendingOrders: number;
  paidOrders: number;
  cancelledOrders: number;
  expiredOrders: number;
  refundedOrders: number;
  /** Tickets (or booked seats) in paid orders. */
  ticketsBought: number;
  /** Money of paid orders. */
  totalSpent: number;
  /** Money of orders waiting for payment. */
  pendingAmount: number;
}

/** The caller's order counts and amounts, by status (0 pending … 4 refunded). */
export async function userStats(ctx: AppContext, userId: number): Promise<UserStats> {
  const rows = await ctx.db.read.rows<
    { status: number; n: number; tickets: number; amount: number }
  >(
    `SELECT status, COUNT(*) AS n, CAST(SUM(quantity) AS SIGNED) AS tickets,
            SUM(total_amount) AS amount
       FROM orders WHERE user_id = ? GROUP BY status`,
    [userId],
  );
  const by = new Map(rows.map((r) => [Number(r.status), r]));
  const n = (s: number) => Number(by.get(s)?.n ?? 0);
  const money = (s: number) => Math.round(Number(by.get(s)?.amount ?? 0) * 100) / 100;
  return {
    userId,
    totalOrders: rows.reduce((sum, r) => sum + Number(r.n), 0),
    pendingOrders: n(0),
    paidOrders: n(1),
    cancelledOrders: n(2),
    expiredOrders: n(3),
    refundedOrders: n(4),
    ticketsBought: Number(by.get(1)?.tickets ?? 0),
    totalSpent: money(1),
    pendingAmount: money(0),
  };
}

/** A new token for the caller; the one used to ask is refused from now on. */
export async function refreshToken(
  ctx: AppContext,
  caller: Caller,
): Promise<{ userId: number; token: string; expiresIn: number }> {
  // The role as it is now, not as the old token says (an admin may have been demoted since).
  const { role } = await getUserInfo(ctx, caller.userId);
  const { token, expiresIn } = await issueToken(ctx, { id: caller.userId, role });
  await revokeToken(ctx, caller);
  return { userId: caller.userId, token, expiresIn };
}
