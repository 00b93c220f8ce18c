/**
 * planImport's tiers, and once the orders are planned, their stock and per-buyer limits: locked
 * and sold are what the imported orders hold; the total keeps what the source could still sell.
 */
import type { PlannedSession, PlannedTier } from "./plan.ts";
import { type PlanContext, round2 } from "./plan_context.ts";
import type { SeatedTier } from "./plan_areas.ts";
import type { Held } from "./plan_orders.ts";
import type { SourceTicket } from "./source_rows.ts";

const MAX_STOCK = 1_000_000;
const MAX_PRICE = 9_999_999.99;
const MAX_LIMIT = 10;

export interface TierPlan {
  planned: PlannedTier[];
  byKey: Map<string, PlannedTier>;
  /** Tier key → the source row it came from. */
  sourceOf: Map<string, SourceTicket>;
}

export function planTiers(ctx: PlanContext, sessions: PlannedSession[]): TierPlan {
  const sessionByKey = new Map(sessions.map((s) => [s.key, s]));
  const sourceSessionById = new Map(ctx.data.sessions.map((s) => [s.id, s]));
  const planned: PlannedTier[] = [];
  const sourceOf = new Map<string, SourceTicket>();
  for (const t of ctx.data.tickets) {
    const s = ctx.src("t_ticket", t.id);
    const session = sessionByKey.get(ctx.key("t_show_session", t.sessionId));
    if (!session) {
      ctx.refuse("tier", s, `its session ${t.sessionId} is not imported`);
      continue;
    }
    if (sourceSessionById.get(t.sessionId)?.showId !== t.showId) {
      ctx.note("tier", s, `says show ${t.showId}; its session's show is used`);
    }
    if (!(t.price >= 0 && t.price <= MAX_PRICE)) {
      ctx.refuse("tier", s, `price ${t.price} is not 0-${MAX_PRICE}`);
      continue;
    }
    let limit = t.limitCount ?? 4;
    if (limit < 1 || limit > MAX_LIMIT) {
      const clamped = Math.min(MAX_LIMIT, Math.max(1, limit));
      ctx.note("tier", s, `limit ${limit} per buyer is outside 1-10: set to ${clamped}`);
      limit = clamped;
    }
    const k = ctx.key("t_ticket", t.id);
    sourceOf.set(k, t);
    planned.push({
      key: k,
      showKey: session.showKey,
      sessionKey: session.key,
      name: t.name.trim().slice(0, 100) || `tier ${t.id}`,
      price: round2(t.price),
      limitCount: limit,
      status: t.status === 0 ? 0 : 1,
      deletedAt: t.deleted ? ctx.at(t.updateTime) ?? ctx.now : null,
      totalStock: 0,
    });
  }
  return { planned, byKey: new Map(planned.map((t) => [t.key, t])), sourceOf };
}

/**
 * A tier's total stock after import: the imported orders' locked and sold, plus what is still
 * available — the smaller of what the source's counters say and what its total leaves after
 * the orders.
 */
export function importedTotal(
  source: { total: number; available: number },
  orders: { locked: number; sold: number },
): number {
  const held = orders.locked + orders.sold;
  const available = Math.max(0, Math.min(source.available, source.total - held));
  return available + held;
}

/**
 * A seated tier's total stock: its sellable seats plus what its orders hold without a seat, and
 * never less than what its orders hold.
 */
export function seatedTotal(sellableSeats: number, held: Held): number {
  return Math.max(sellableSeats + held.ga, held.locked + held.sold);
}

/** Sets each tier's total stock from what the imported orders hold (`held`, per tier key). */
export function settleStock(
  ctx: PlanContext,
  tiers: TierPlan,
  held: Map<string, Held>,
  seated: Map<string, SeatedTier>,
): void {
  const stockOf = new Map(ctx.data.stocks.map((st) => [st.ticketId, st]));
  for (const tier of tiers.planned) {
    const t = tiers.sourceOf.get(tier.key)!;
    const s = ctx.src("t_ticket", t.id);
    const h = held.get(tier.key) ?? { locked: 0, sold: 0, ga: 0 };
    const st = stockOf.get(t.id);
    const seatedArea = seated.get(tier.key);
    let total: number;
    if (seatedArea) {
      const sellable = seatedArea.area.seats.filter((x) => x.enabled).length;
      total = seatedTotal(sellable, h);
      const said = st?.total ?? t.totalCount ?? 0;
      ctx.note("tier", s, `seated: stock is its ${sellable} seats (the source said ${said})`);
    } else {
      const srcTotal = st?.total ?? t.totalCount ?? 0;
      const available = st ? st.total - st.locked - st.sold : t.remainCount ?? srcTotal;
      total = importedTotal({ total: srcTotal, available }, h);
      if (total !== srcTotal) {
        ctx.note(
          "tier",
          s,
          `stock total ${srcTotal} → ${total}: ${h.locked} locked and ${h.sold} sold ` +
            `by the imported orders, ${total - h.locked - h.sold} still available`,
        );
      }
    }
    if (total > MAX_STOCK) {
      ctx.note("tier", s, `stock ${total} capped at ${MAX_STOCK}`);
      total = Math.max(MAX_STOCK, h.locked + h.sold);
    }
    tier.totalStock = total;
  }
}

/**
 * Raises a tier's per-buyer limit to what a buyer's imported orders hold (`perBuyer`, keyed
 * `<user key>|<tier key>`), up to the maximum of 10.
 */
export function raiseLimits(
  ctx: PlanContext,
  tiers: TierPlan,
  perBuyer: Map<string, number>,
): void {
  for (const [b, n] of perBuyer) {
    const [userKey, tierKey] = b.split("|");
    const tier = tiers.byKey.get(tierKey)!;
    if (n <= tier.limitCount) continue;
    const s = ctx.src("t_ticket", tiers.sourceOf.get(tierKey)!.id);
    if (n <= MAX_LIMIT) {
      ctx.note("tier", s, `limit ${tier.limitCount} → ${n}: buyer ${userKey} holds ${n} tickets`);
      tier.limitCount = n;
    } else {
      tier.limitCount = MAX_LIMIT;
      ctx.note("tier", s, `buyer ${userKey} holds ${n} tickets, over the maximum limit of 10`);
    }
  }
}
