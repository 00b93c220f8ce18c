/**
 * planImport's orders, with their items, status log and seat claims. Reference order status 3
 * ("completed") is paid; an unpaid order past its expiry is expired. What the orders hold is
 * counted per tier (for its stock) and per buyer and tier (for its limit).
 */
import type { PlannedOrder, PlannedTier, PlannedUser } from "./plan.ts";
import { groupBy, type PlanContext, round2 } from "./plan_context.ts";
import type { SeatedTier } from "./plan_areas.ts";
import type { TierPlan } from "./plan_tiers.ts";
import type { SourceItem, SourceOrder, SourceTicket } from "./source_rows.ts";

const DEFAULT_PAY_MS = 15 * 60_000;
const MAX_QUANTITY = 1000;

/** What a tier's imported unpaid (locked) and paid (sold) orders hold; `ga` without a seat. */
export interface Held {
  locked: number;
  sold: number;
  ga: number;
}

export interface OrderPlan {
  planned: PlannedOrder[];
  /** Tier key → what its unpaid and paid orders hold. */
  held: Map<string, Held>;
  /** `<user key>|<tier key>` → tickets of unpaid and paid orders. */
  perBuyer: Map<string, number>;
}

/** Reference order status → boxoffice (0 pending, 1 paid, 2 cancelled, 3 expired, 4 refunded). */
export function orderStatusOf(source: number, expired: boolean): number | null {
  switch (source) {
    case 0:
      return expired ? 3 : 0;
    case 1:
    case 3: // "completed": paid and over
      return 1;
    case 2:
      return 2;
    case 4:
      return 4;
    default:
      return null;
  }
}

/** Why an order number cannot be imported as one, or null. */
export function orderNoRefusal(orderNo: string): string | null {
  if (orderNo.length < 1 || orderNo.length > 32) {
    return `order number "${orderNo}" is not 1-32 characters long`;
  }
  return null;
}

/**
 * Whether an order's number can be looked up as such: the order routes read 1-16 digits as an
 * id and accept letters, digits, _ and - only.
 */
export function orderNoLooksUp(orderNo: string): boolean {
  return !(/^[1-9]\d{0,15}$/.test(orderNo) || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(orderNo));
}

/** The run's state shared by the orders: what earlier orders of the source took. */
interface Taken {
  /** Seat keys taken by an unpaid or paid imported order: the order number that took it. */
  claimed: Map<string, string>;
  orderNos: Set<string>;
}

interface Known {
  users: PlannedUser[];
  tiers: TierPlan;
  seated: Map<string, SeatedTier>;
}

export function planOrders(ctx: PlanContext, known: Known): OrderPlan {
  const itemsOf = groupBy(ctx.data.items, (i) => i.orderId);
  const tierOf = itemTierResolver(ctx, known.tiers.sourceOf);
  const userKeys = new Set(known.users.map((u) => u.key));
  const taken: Taken = { claimed: new Map(), orderNos: new Set() };
  const out: OrderPlan = { planned: [], held: new Map(), perBuyer: new Map() };
  for (const o of ctx.data.orders) {
    const s = ctx.src("t_order", o.id);
    const items = itemsOf.get(o.id) ?? [];
    const order = planOrder(ctx, { o, s, items, userKeys, tierOf, known, taken });
    if (typeof order === "string") {
      ctx.refuse("order", s, order);
      continue;
    }
    out.planned.push(order);
    countHeld(out, order);
  }
  return out;
}

interface OrderInput {
  o: SourceOrder;
  /** The order as the report names it. */
  s: string;
  items: SourceItem[];
  userKeys: Set<string>;
  tierOf: (item: SourceItem) => string;
  known: Known;
  taken: Taken;
}

/** One source order as a planned order, or why it cannot be imported. */
function planOrder(ctx: PlanContext, input: OrderInput): PlannedOrder | string {
  const { o, s, items, known, taken } = input;
  const orderNo = o.orderNo.trim();
  const refusal = orderNoRefusal(orderNo);
  if (refusal) return refusal;
  if (!orderNoLooksUp(orderNo)) {
    ctx.note("order", s, `order number ${orderNo} cannot be looked up as such: use its id`);
  }
  if (taken.orderNos.has(orderNo)) return `order number ${orderNo} appears twice in the source`;
  const userKey = ctx.key("t_user", o.userId);
  if (!input.userKeys.has(userKey)) return `its buyer ${o.userId} is not imported`;
  if (o.bookingDate) return "an hourly (café) booking: not imported, book it again in boxoffice";
  if (items.length === 0) return "has no items";
  const tierKey = orderTierKey(ctx, s, items, input.tierOf);
  if (tierKey.startsWith("!")) return tierKey.slice(1);
  const tier = known.tiers.byKey.get(tierKey);
  if (!tier) return `its tier is not imported`;
  const timing = orderTiming(ctx, o, s);
  if (typeof timing === "string") return timing;
  const seated = known.seated.get(tierKey);
  const orderItems = seated && items.every((i) => i.seatId !== null)
    ? seatedItems(ctx, { s, items, tier, seated, taken, orderNo, status: timing.status })
    : gaItems(ctx, s, items, tier, seated !== undefined);
  if (typeof orderItems === "string") return orderItems;
  const quantity = orderItems.reduce((n, i) => n + i.quantity, 0);
  if (quantity > MAX_QUANTITY) return `quantity ${quantity} is over ${MAX_QUANTITY}`;
  taken.orderNos.add(orderNo);
  const { status, created, expireAt, payTime } = timing;
  return {
    key: ctx.key("t_order", o.id),
    orderNo,
    userKey,
    showKey: tier.showKey,
    sessionKey: tier.sessionKey,
    tierKey,
    quantity,
    price: orderItems[0].price,
    totalAmount: round2(o.totalAmount),
    status,
    payType: o.payType !== null && o.payType >= 1 && o.payType <= 3 ? o.payType : null,
    payTime: status === 1 || status === 4 ? payTime : null,
    expireAt,
    createdAt: created,
    remark: o.remark?.slice(0, 500) ?? null,
    contactPhone: o.contactPhone?.slice(0, 20) ?? null,
    items: orderItems,
    log: statusLog(status, created, payTime ?? ctx.at(o.updateTime) ?? created),
  };
}

/**
 * The one tier of an order's items, or "!" and why there is none. A note for each item whose
 * own tier is of another session.
 */
function orderTierKey(
  ctx: PlanContext,
  s: string,
  items: SourceItem[],
  tierOf: (item: SourceItem) => string,
): string {
  const tierKeys = new Set<string>();
  for (const item of items) {
    const r = tierOf(item);
    if (r.startsWith("!")) return r;
    tierKeys.add(r);
    if (item.ticketId !== null && r !== ctx.key("t_ticket", item.ticketId)) {
      ctx.note(
        "order",
        s,
        `item names tier ${item.ticketId}, which is not of session ${item.sessionId}; ` +
          `the session's tier "${item.ticketName}" is used`,
      );
    }
  }
  if (tierKeys.size > 1) return "!its items are of several tiers (a boxoffice order has one)";
  return [...tierKeys][0];
}

/**
 * The tier an order item is of: its ticket when that is of the item's session, else the
 * session's tier of the item's tier name. A string starting with "!" says why neither.
 */
function itemTierResolver(ctx: PlanContext, tiers: Map<string, SourceTicket>) {
  const bySessionName = groupBy(ctx.data.tickets, (t) => `${t.sessionId}|${t.name.trim()}`);
  const key = (id: number) => ctx.key("t_ticket", id);
  return (item: SourceItem): string => {
    const own = item.ticketId === null ? undefined : tiers.get(key(item.ticketId));
    if (own && (item.sessionId === null || own.sessionId === item.sessionId)) return key(own.id);
    if (item.sessionId !== null && item.ticketName) {
      const named = bySessionName.get(`${item.sessionId}|${item.ticketName.trim()}`) ?? [];
      if (named.length === 1) return key(named[0].id);
    }
    if (own) return key(own.id);
    return `!its tier ${item.ticketId ?? "(none)"} is not imported`;
  };
}

interface Timing {
  status: number;
  created: Date;
  expireAt: Date;
  payTime: Date | null;
}

/** An order's boxoffice status and times, or why its status has no counterpart. */
function orderTiming(ctx: PlanContext, o: SourceOrder, s: string): Timing | string {
  const created = ctx.at(o.createTime) ?? ctx.now;
  let expireAt = ctx.at(o.expireTime) ?? new Date(created.getTime() + DEFAULT_PAY_MS);
  const status = orderStatusOf(o.status, expireAt.getTime() <= ctx.nowMs);
  if (status === null) return `status ${o.status} is not a reference order status (0-4)`;
  if (o.status === 0 && status === 3) {
    ctx.note("order", s, "unpaid past its expiry: imported expired");
  }
  const payTime = ctx.at(o.payTime);
  if (status === 1 && payTime && payTime > expireAt) {
    // Invariant 5 (no order paid after its expiry) holds for what boxoffice sells; the
    // reference did not enforce it.
    expireAt = payTime;
    ctx.note("order", s, "paid after its expiry in the source: expiry set to the payment time");
  }
  return { status, created, expireAt, payTime };
}

interface SeatedInput {
  s: string;
  items: SourceItem[];
  tier: PlannedTier;
  seated: SeatedTier;
  taken: Taken;
  orderNo: string;
  status: number;
}

/**
 * The items of an order whose every item names a seat of its seated tier: one a seat, claimed
 * for the order when it is unpaid or paid. Or why not.
 */
function seatedItems(ctx: PlanContext, input: SeatedInput): PlannedOrder["items"] | string {
  const { s, items, seated, taken } = input;
  const seatKeys: string[] = [];
  for (const item of items) {
    const k = seated.seatKeys.get(item.seatId!);
    if (!k) return `seat ${item.seatId} is not a seat of tier "${input.tier.name}"'s area`;
    if (!seatKeys.includes(k)) seatKeys.push(k);
    if (item.quantity !== 1) {
      ctx.note("order", s, `item of seat ${item.seatId} has quantity ${item.quantity}: one seat`);
    }
  }
  if (input.status === 0 || input.status === 1) {
    const other = seatKeys.map((k) => taken.claimed.get(k)).find((v) => v !== undefined);
    if (other) return `a seat of it is already in order ${other}`;
    for (const k of seatKeys) taken.claimed.set(k, input.orderNo);
  }
  return seatKeys.map((k) => ({
    seatKey: k,
    seatInfo: null,
    price: round2(items.find((i) => seated.seatKeys.get(i.seatId!) === k)!.price),
    quantity: 1,
  }));
}

/** The items of an order sold without seats (its tier has no seat map), or why not. */
function gaItems(
  ctx: PlanContext,
  s: string,
  items: SourceItem[],
  tier: PlannedTier,
  tierSeated: boolean,
): PlannedOrder["items"] | string {
  const withSeat = items.filter((i) => i.seatId !== null).length;
  if (tierSeated && withSeat > 0) return "some items name seats and some do not";
  if (withSeat > 0) {
    ctx.note("order", s, `tier "${tier.name}" has no seat map: imported without its seats`);
  }
  const out = items.map((i) => ({
    seatKey: null,
    seatInfo: i.seatInfo?.slice(0, 64) ?? null,
    price: round2(i.price),
    quantity: i.quantity,
  }));
  if (out.some((i) => !Number.isInteger(i.quantity) || i.quantity < 1)) {
    return "an item's quantity is not a whole number of at least 1";
  }
  return out;
}

/** An imported order's status log: created, then (unless still pending) its status `at`. */
export function statusLog(status: number, created: Date, at: Date): PlannedOrder["log"] {
  const log: PlannedOrder["log"] = [{
    from: null,
    to: 0,
    reason: "imported: created",
    at: created,
  }];
  if (status !== 0) log.push({ from: 0, to: status, reason: "imported", at });
  return log;
}

function countHeld(out: OrderPlan, order: PlannedOrder): void {
  if (order.status !== 0 && order.status !== 1) return;
  const a = out.held.get(order.tierKey) ?? { locked: 0, sold: 0, ga: 0 };
  if (order.status === 0) a.locked += order.quantity;
  else a.sold += order.quantity;
  if (order.items[0].seatKey === null) a.ga += order.quantity;
  out.held.set(order.tierKey, a);
  const b = `${order.userKey}|${order.tierKey}`;
  out.perBuyer.set(b, (out.perBuyer.get(b) ?? 0) + order.quantity);
}
