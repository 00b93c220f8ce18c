/**
 * What an import will write, decided from the source rows alone (no store): each reference row
 * becomes a boxoffice row, or an entry of `unmapped` saying why not. Adjustments that keep a row
 * but change something about it are listed in `notes`.
 *
 * The rules that are not plain copies:
 * - Times in the source are wall-clock times of its zone (`zone`); boxoffice stores UTC.
 * - Reference order status 3 ("completed") is paid; an unpaid order past its expiry is expired.
 * - A tier's seats: the reference keeps seat areas per venue; a tier gets a copy of the area of
 *   its show's venue that has the tier's name, when that area has seats that fit a grid of at
 *   most 100 × 100. Such a tier is seated, as in boxoffice, and its stock is its seats.
 * - Stock: locked and sold are what the imported orders hold (the audit's invariant 2). The
 *   total keeps what the source could still sell — never more than its own counters say, never
 *   more than its total minus the orders — so the import neither oversells nor invents tickets.
 * - A buyer whose imported orders exceed the tier's limit raises that limit (up to 10).
 *
 * ```ts
 * const plan = planImport(data, { zone: "Asia/Shanghai", now: Date.now() });
 * plan.orders.length; plan.unmapped; // what could not be mapped, and why
 * ```
 *
 * One step per entity family, in this order (each reads what the earlier ones planned):
 * plan_users.ts, plan_catalog.ts (shows, sessions), plan_tiers.ts (tiers; stock and limits once
 * the orders are known), plan_areas.ts (seat areas and seats), plan_orders.ts.
 */
import { planContext } from "./plan_context.ts";
import { planUsers } from "./plan_users.ts";
import { planSessions, planShows } from "./plan_catalog.ts";
import { planTiers, raiseLimits, settleStock } from "./plan_tiers.ts";
import { planAreas } from "./plan_areas.ts";
import { planOrders } from "./plan_orders.ts";
import type { SourceData } from "./source_rows.ts";

export type EntityKind = "user" | "show" | "session" | "tier" | "area" | "order";

/** A source row that was not imported (unmapped) or was changed on the way (a note). */
export interface Issue {
  kind: EntityKind;
  /** `<database>.<table>#<id>` of the source row. */
  source: string;
  reason: string;
}

export interface PlannedUser {
  key: string;
  username: string;
  passwordHash: string;
  phone: string | null;
  nickname: string | null;
  email: string | null;
  role: "user" | "admin";
  createdAt: Date | null;
}

export interface PlannedShow {
  key: string;
  name: string;
  type: number;
  venue: string;
  city: string;
  description: string | null;
  posterUrl: string | null;
  start: Date;
  end: Date;
  status: number;
  isHot: boolean;
  isRecommend: boolean;
  deletedAt: Date | null;
}

export interface PlannedSession {
  key: string;
  showKey: string;
  name: string;
  start: Date;
  end: Date;
  saleStart: Date;
  saleEnd: Date;
  status: number;
  deletedAt: Date | null;
}

export interface PlannedTier {
  key: string;
  showKey: string;
  sessionKey: string;
  name: string;
  price: number;
  limitCount: number;
  status: number;
  deletedAt: Date | null;
  totalStock: number;
}

export interface PlannedSeat {
  key: string;
  rowNum: number;
  seatNum: number;
  seatCode: string;
  x: number;
  y: number;
  enabled: boolean;
}

export interface PlannedArea {
  key: string;
  showKey: string;
  sessionKey: string;
  tierKey: string;
  name: string;
  areaCode: string;
  rows: number;
  cols: number;
  price: number;
  seats: PlannedSeat[];
}

export interface PlannedOrder {
  key: string;
  orderNo: string;
  userKey: string;
  showKey: string;
  sessionKey: string;
  tierKey: string;
  quantity: number;
  price: number;
  totalAmount: number;
  status: number;
  payType: number | null;
  payTime: Date | null;
  expireAt: Date;
  createdAt: Date;
  remark: string | null;
  contactPhone: string | null;
  items: { seatKey: string | null; seatInfo: string | null; price: number; quantity: number }[];
  log: { from: number | null; to: number; reason: string; at: Date }[];
}

export interface ImportPlan {
  users: PlannedUser[];
  shows: PlannedShow[];
  sessions: PlannedSession[];
  tiers: PlannedTier[];
  areas: PlannedArea[];
  orders: PlannedOrder[];
  unmapped: Issue[];
  notes: Issue[];
}

export interface PlanOptions {
  /** Time zone of the source's DATETIMEs. */
  zone: string;
  /** Milliseconds since the epoch (unpaid orders past their expiry are imported expired). */
  now: number;
}

export function planImport(data: SourceData, options: PlanOptions): ImportPlan {
  const ctx = planContext(data, options);
  const users = planUsers(ctx);
  const shows = planShows(ctx);
  const sessions = planSessions(ctx, shows);
  const tiers = planTiers(ctx, sessions);
  const areas = planAreas(ctx, tiers);
  const orders = planOrders(ctx, { users, tiers, seated: areas.seated });
  settleStock(ctx, tiers, orders.held, areas.seated);
  raiseLimits(ctx, tiers, orders.perBuyer);
  return {
    users,
    shows,
    sessions,
    tiers: tiers.planned,
    areas: areas.planned,
    orders: orders.planned,
    unmapped: ctx.unmapped,
    notes: ctx.notes,
  };
}
