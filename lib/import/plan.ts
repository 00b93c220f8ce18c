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
 */
import { legacyKind } from "#lib/accounts/legacy_passwords.ts";
import { parseTime } from "#lib/platform/time.ts";
import type { SourceData, SourceItem, SourceSeat, SourceTicket } from "./source_rows.ts";

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

const MAX_STOCK = 1_000_000;
const MAX_PRICE = 9_999_999.99;
const MAX_GRID = 100;
const DEFAULT_PAY_MS = 15 * 60_000;

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
 * Row labels in seat order → 1, 2, ...: numbers by value, letters as the alphabet continues
 * (A … Z, AA …). Null when a label is empty.
 */
export function rowNumbers(labels: string[]): Map<string, number> | null {
  const distinct = [...new Set(labels.map((l) => l.trim()))];
  if (distinct.some((l) => l === "")) return null;
  const numeric = distinct.every((l) => /^\d+$/.test(l));
  distinct.sort((a, b) =>
    numeric ? Number(a) - Number(b) : a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
  );
  return new Map(distinct.map((l, i) => [l, i + 1]));
}

/** Area codes of one session, in creation order: A … Z, then Z1, Z2, … (as lib/seating). */
export const areaCodeFor = (n: number) => n < 26 ? String.fromCharCode(65 + n) : `Z${n - 25}`;

const round2 = (n: number) => Math.round(n * 100) / 100;

export function planImport(data: SourceData, options: PlanOptions): ImportPlan {
  const db = data.databases;
  const key = (table: keyof typeof db, id: number) => `${db[table]}.${id}`;
  const src = (table: keyof typeof db, id: number) => `${db[table]}.${table}#${id}`;
  const at = (s: string | null): Date | null => s ? parseTime(s, options.zone) : null;
  const plan: ImportPlan = {
    users: [],
    shows: [],
    sessions: [],
    tiers: [],
    areas: [],
    orders: [],
    unmapped: [],
    notes: [],
  };
  const unmapped = (kind: EntityKind, source: string, reason: string) =>
    plan.unmapped.push({ kind, source, reason });
  const note = (kind: EntityKind, source: string, reason: string) =>
    plan.notes.push({ kind, source, reason });
  const now = new Date(options.now);

  // ---------------------------------------------------------------- users
  for (const u of data.users) {
    const s = src("t_user", u.id);
    const username = u.username.trim();
    if (username.length < 1 || username.length > 32) {
      unmapped("user", s, `username "${username}" is not 1-32 characters long`);
      continue;
    }
    let passwordHash = u.password;
    const known = legacyKind(u.password) !== null;
    if (!u.enabled) {
      // Kept (orders point at the account) but locked, as it was in the source.
      passwordHash = `!${u.password}`;
      note("user", s, "disabled or deleted in the source: imported, cannot log in");
    } else if (!known) {
      passwordHash = `!${u.password}`;
      note("user", s, "password hash neither BCrypt nor MD5: imported, cannot log in");
    }
    plan.users.push({
      key: key("t_user", u.id),
      username,
      passwordHash,
      phone: u.phone?.slice(0, 20) ?? null,
      nickname: u.nickname?.slice(0, 64) ?? null,
      email: u.email?.slice(0, 254) ?? null,
      role: u.admin ? "admin" : "user",
      createdAt: at(u.createTime),
    });
  }
  const userKeys = new Set(plan.users.map((u) => u.key));

  // ---------------------------------------------------------------- shows
  const sessionsOfShow = new Map<number, typeof data.sessions>();
  for (const se of data.sessions) {
    sessionsOfShow.set(se.showId, [...sessionsOfShow.get(se.showId) ?? [], se]);
  }
  const showById = new Map(data.shows.map((s) => [s.id, s]));
  for (const sh of data.shows) {
    const s = src("t_show", sh.id);
    if (!Number.isInteger(sh.type) || sh.type < 1 || sh.type > 6) {
      unmapped("show", s, `type ${sh.type} is not a boxoffice show type (1-6)`);
      continue;
    }
    if (!Number.isInteger(sh.status) || sh.status < 0 || sh.status > 3) {
      unmapped("show", s, `status ${sh.status} is not 0-3`);
      continue;
    }
    const sessionTimes = (sessionsOfShow.get(sh.id) ?? []).flatMap((se) =>
      [at(se.startTime), at(se.endTime)].filter((d): d is Date => d !== null)
    );
    const start = at(sh.startTime) ??
      (sessionTimes.length ? new Date(Math.min(...sessionTimes.map(Number))) : null);
    const end = at(sh.endTime) ??
      (sessionTimes.length ? new Date(Math.max(...sessionTimes.map(Number))) : start);
    if (!start || !end) {
      unmapped("show", s, "no start time (neither the show's nor a session's)");
      continue;
    }
    if (end < start) {
      unmapped("show", s, "ends before it starts");
      continue;
    }
    if (sh.name.trim() === "") {
      unmapped("show", s, "no name");
      continue;
    }
    plan.shows.push({
      key: key("t_show", sh.id),
      name: sh.name.trim().slice(0, 200),
      type: sh.type,
      venue: (sh.venue ?? "").slice(0, 200),
      city: (sh.city ?? "").slice(0, 64),
      description: sh.description,
      posterUrl: sh.posterUrl?.slice(0, 1000) ?? null,
      start,
      end,
      status: sh.status,
      isHot: sh.isHot,
      isRecommend: sh.isRecommend,
      deletedAt: sh.deleted ? at(sh.updateTime) ?? now : null,
    });
  }
  const showKeys = new Set(plan.shows.map((s) => s.key));

  // ---------------------------------------------------------------- sessions
  const sessionById = new Map(data.sessions.map((s) => [s.id, s]));
  for (const se of data.sessions) {
    const s = src("t_show_session", se.id);
    const showKey = key("t_show", se.showId);
    if (!showKeys.has(showKey)) {
      unmapped("session", s, `its show ${se.showId} is not imported`);
      continue;
    }
    const show = plan.shows.find((p) => p.key === showKey)!;
    const start = at(se.startTime) ?? show.start;
    const end = at(se.endTime) ?? (show.end >= start ? show.end : start);
    if (end < start) {
      unmapped("session", s, "ends before it starts");
      continue;
    }
    if (!Number.isInteger(se.status) || se.status < 0 || se.status > 3) {
      unmapped("session", s, `status ${se.status} is not 0-3`);
      continue;
    }
    const created = at(se.createTime);
    plan.sessions.push({
      key: key("t_show_session", se.id),
      showKey,
      name: (se.name ?? show.name).slice(0, 200),
      start,
      end,
      // The reference has no sale window: on sale from its creation until the start.
      saleStart: created && created < start ? created : start,
      saleEnd: start,
      status: se.status,
      deletedAt: se.deleted || showById.get(se.showId)?.deleted ? at(se.updateTime) ?? now : null,
    });
  }
  const sessionKeys = new Map(plan.sessions.map((s) => [s.key, s]));

  // ---------------------------------------------------------------- tiers
  const tierSource = new Map<string, SourceTicket>();
  for (const t of data.tickets) {
    const s = src("t_ticket", t.id);
    const session = sessionKeys.get(key("t_show_session", t.sessionId));
    if (!session) {
      unmapped("tier", s, `its session ${t.sessionId} is not imported`);
      continue;
    }
    if (sessionById.get(t.sessionId)?.showId !== t.showId) {
      note("tier", s, `says show ${t.showId}; its session's show is used`);
    }
    if (!(t.price >= 0 && t.price <= MAX_PRICE)) {
      unmapped("tier", s, `price ${t.price} is not 0-${MAX_PRICE}`);
      continue;
    }
    let limit = t.limitCount ?? 4;
    if (limit < 1 || limit > 10) {
      const clamped = Math.min(10, Math.max(1, limit));
      note("tier", s, `limit ${limit} per buyer is outside 1-10: set to ${clamped}`);
      limit = clamped;
    }
    const k = key("t_ticket", t.id);
    tierSource.set(k, t);
    plan.tiers.push({
      key: k,
      showKey: session.showKey,
      sessionKey: session.key,
      name: t.name.trim().slice(0, 100) || `tier ${t.id}`,
      price: round2(t.price),
      limitCount: limit,
      status: t.status === 0 ? 0 : 1,
      deletedAt: t.deleted ? at(t.updateTime) ?? now : null,
      totalStock: 0,
    });
  }
  const tierByKey = new Map(plan.tiers.map((t) => [t.key, t]));

  // ---------------------------------------------------------------- seat areas
  const venueIdsByName = new Map<string, number[]>();
  for (const v of data.venues) {
    venueIdsByName.set(v.name.trim(), [...venueIdsByName.get(v.name.trim()) ?? [], v.id]);
  }
  const seatsOfArea = new Map<number, SourceSeat[]>();
  for (const seat of data.seats) {
    if (seat.deleted) continue;
    seatsOfArea.set(seat.areaId, [...seatsOfArea.get(seat.areaId) ?? [], seat]);
  }
  const areasInSession = new Map<string, number>();
  /** Per seated tier: its area and source seat id → planned seat key. */
  const seatedTier = new Map<string, { area: PlannedArea; seatKeys: Map<number, string> }>();
  for (const tier of plan.tiers) {
    if (tier.deletedAt) continue;
    const t = tierSource.get(tier.key)!;
    const show = showById.get(sessionById.get(t.sessionId)!.showId)!;
    const venues = venueIdsByName.get((show.venue ?? "").trim()) ?? [];
    const candidates = data.areas.filter((a) =>
      !a.deleted && a.venueId !== null && venues.includes(a.venueId) &&
      a.name.trim() === t.name.trim() && (seatsOfArea.get(a.id)?.length ?? 0) > 0
    );
    if (candidates.length === 0) continue;
    const s = src("t_ticket", t.id);
    if (candidates.length > 1) {
      note("tier", s, `several seat areas named "${t.name}" at its venue: sold without seats`);
      continue;
    }
    const area = candidates[0];
    const seats = seatsOfArea.get(area.id)!;
    const grid = gridOf(seats);
    if (typeof grid === "string") {
      note("area", src("t_seat_area", area.id), `${grid}: tier ${t.id} is sold without seats`);
      continue;
    }
    const n = areasInSession.get(tier.sessionKey) ?? 0;
    areasInSession.set(tier.sessionKey, n + 1);
    const planned: PlannedArea = {
      key: `${key("t_seat_area", area.id)}@${tier.sessionKey}`,
      showKey: tier.showKey,
      sessionKey: tier.sessionKey,
      tierKey: tier.key,
      name: area.name.trim().slice(0, 100),
      areaCode: areaCodeFor(n),
      rows: grid.rows,
      cols: grid.cols,
      price: tier.price,
      seats: grid.seats.map((g) => ({
        ...g,
        key: `${key("t_seat", g.sourceId)}@${tier.sessionKey}`,
      })),
    };
    plan.areas.push(planned);
    seatedTier.set(tier.key, {
      area: planned,
      seatKeys: new Map(planned.seats.map((p, i) => [grid.seats[i].sourceId, p.key])),
    });
  }

  // ---------------------------------------------------------------- orders
  const itemsOf = new Map<number, SourceItem[]>();
  for (const i of data.items) itemsOf.set(i.orderId, [...itemsOf.get(i.orderId) ?? [], i]);
  const ticketsBySessionName = new Map<string, SourceTicket[]>();
  for (const t of data.tickets) {
    const k = `${t.sessionId}|${t.name.trim()}`;
    ticketsBySessionName.set(k, [...ticketsBySessionName.get(k) ?? [], t]);
  }
  /** Seat keys taken by an unpaid or paid imported order, per session: the order that took it. */
  const claimed = new Map<string, string>();
  const active = new Map<string, { locked: number; sold: number; ga: number }>();
  const perBuyer = new Map<string, number>();
  const seenOrderNos = new Set<string>();
  for (const o of data.orders) {
    const s = src("t_order", o.id);
    const orderNo = o.orderNo.trim();
    if (orderNo.length < 1 || orderNo.length > 32) {
      unmapped("order", s, `order number "${orderNo}" is not 1-32 characters long`);
      continue;
    }
    if (/^[1-9]\d{0,15}$/.test(orderNo) || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(orderNo)) {
      // The order routes read 1-16 digits as an id and accept letters, digits, _ and - only.
      note("order", s, `order number ${orderNo} cannot be looked up as such: use its id`);
    }
    if (seenOrderNos.has(orderNo)) {
      unmapped("order", s, `order number ${orderNo} appears twice in the source`);
      continue;
    }
    const userKey = key("t_user", o.userId);
    if (!userKeys.has(userKey)) {
      unmapped("order", s, `its buyer ${o.userId} is not imported`);
      continue;
    }
    if (o.bookingDate) {
      unmapped("order", s, "an hourly (café) booking: not imported, book it again in boxoffice");
      continue;
    }
    const items = itemsOf.get(o.id) ?? [];
    if (items.length === 0) {
      unmapped("order", s, "has no items");
      continue;
    }
    const tierKeys = new Set<string>();
    let unresolved: string | null = null;
    for (const item of items) {
      const r = tierOfItem(item, tierSource, ticketsBySessionName, key);
      if (typeof r === "string" && r.startsWith("!")) {
        unresolved = r.slice(1);
        break;
      }
      tierKeys.add(r);
      if (item.ticketId !== null && r !== key("t_ticket", item.ticketId)) {
        note(
          "order",
          s,
          `item names tier ${item.ticketId}, which is not of session ${item.sessionId}; ` +
            `the session's tier "${item.ticketName}" is used`,
        );
      }
    }
    if (unresolved !== null) {
      unmapped("order", s, unresolved);
      continue;
    }
    if (tierKeys.size > 1) {
      unmapped("order", s, "its items are of several tiers (a boxoffice order has one)");
      continue;
    }
    const tierKey = [...tierKeys][0];
    const tier = tierByKey.get(tierKey);
    if (!tier) {
      unmapped("order", s, `its tier is not imported`);
      continue;
    }
    const created = at(o.createTime) ?? now;
    let expireAt = at(o.expireTime) ?? new Date(created.getTime() + DEFAULT_PAY_MS);
    const status = orderStatusOf(o.status, expireAt.getTime() <= options.now);
    if (status === null) {
      unmapped("order", s, `status ${o.status} is not a reference order status (0-4)`);
      continue;
    }
    if (o.status === 0 && status === 3) {
      note("order", s, "unpaid past its expiry: imported expired");
    }
    const payTime = at(o.payTime);
    if (status === 1 && payTime && payTime > expireAt) {
      // Invariant 5 (no order paid after its expiry) holds for what boxoffice sells; the
      // reference did not enforce it.
      expireAt = payTime;
      note("order", s, "paid after its expiry in the source: expiry set to the payment time");
    }
    const withSeat = items.filter((i) => i.seatId !== null);
    const seated = seatedTier.get(tierKey);
    let orderItems: PlannedOrder["items"];
    if (seated && withSeat.length === items.length) {
      const seatKeys: string[] = [];
      let bad: string | null = null;
      for (const item of items) {
        const k = seated.seatKeys.get(item.seatId!);
        if (!k) {
          bad = `seat ${item.seatId} is not a seat of tier "${tier.name}"'s area`;
          break;
        }
        if (!seatKeys.includes(k)) seatKeys.push(k);
        if (item.quantity !== 1) {
          note("order", s, `item of seat ${item.seatId} has quantity ${item.quantity}: one seat`);
        }
      }
      if (bad) {
        unmapped("order", s, bad);
        continue;
      }
      if (status === 0 || status === 1) {
        const taken = seatKeys.map((k) => claimed.get(k)).find((v) => v !== undefined);
        if (taken) {
          unmapped("order", s, `a seat of it is already in order ${taken}`);
          continue;
        }
        for (const k of seatKeys) claimed.set(k, orderNo);
      }
      orderItems = seatKeys.map((k) => ({
        seatKey: k,
        seatInfo: null,
        price: round2(items.find((i) => seated.seatKeys.get(i.seatId!) === k)!.price),
        quantity: 1,
      }));
    } else if (seated && withSeat.length > 0) {
      unmapped("order", s, "some items name seats and some do not");
      continue;
    } else {
      if (withSeat.length > 0) {
        note("order", s, `tier "${tier.name}" has no seat map: imported without its seats`);
      }
      orderItems = items.map((i) => ({
        seatKey: null,
        seatInfo: i.seatInfo?.slice(0, 64) ?? null,
        price: round2(i.price),
        quantity: i.quantity,
      }));
      if (orderItems.some((i) => !Number.isInteger(i.quantity) || i.quantity < 1)) {
        unmapped("order", s, "an item's quantity is not a whole number of at least 1");
        continue;
      }
    }
    const quantity = orderItems.reduce((n, i) => n + i.quantity, 0);
    if (quantity > 1000) {
      unmapped("order", s, `quantity ${quantity} is over 1000`);
      continue;
    }
    seenOrderNos.add(orderNo);
    const log: PlannedOrder["log"] = [{
      from: null,
      to: 0,
      reason: "imported: created",
      at: created,
    }];
    if (status !== 0) {
      log.push({
        from: 0,
        to: status,
        reason: "imported",
        at: payTime ?? at(o.updateTime) ?? created,
      });
    }
    plan.orders.push({
      key: key("t_order", o.id),
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
      log,
    });
    if (status === 0 || status === 1) {
      const a = active.get(tierKey) ?? { locked: 0, sold: 0, ga: 0 };
      if (status === 0) a.locked += quantity;
      else a.sold += quantity;
      if (orderItems[0].seatKey === null) a.ga += quantity;
      active.set(tierKey, a);
      const b = `${userKey}|${tierKey}`;
      perBuyer.set(b, (perBuyer.get(b) ?? 0) + quantity);
    }
  }

  // ---------------------------------------------------------------- stock and limits
  const stockOf = new Map(data.stocks.map((st) => [st.ticketId, st]));
  for (const tier of plan.tiers) {
    const t = tierSource.get(tier.key)!;
    const s = src("t_ticket", t.id);
    const held = active.get(tier.key) ?? { locked: 0, sold: 0, ga: 0 };
    const seated = seatedTier.get(tier.key);
    let total: number;
    if (seated) {
      const sellable = seated.area.seats.filter((x) => x.enabled).length;
      total = Math.max(sellable + held.ga, held.locked + held.sold);
      note(
        "tier",
        s,
        `seated: stock is its ${sellable} seats (the source said ${
          stockOf.get(t.id)?.total ?? t.totalCount ?? 0
        })`,
      );
    } else {
      const st = stockOf.get(t.id);
      const srcTotal = st?.total ?? t.totalCount ?? 0;
      const available = st ? st.total - st.locked - st.sold : t.remainCount ?? srcTotal;
      total = importedTotal({ total: srcTotal, available }, held);
      if (total !== srcTotal) {
        note(
          "tier",
          s,
          `stock total ${srcTotal} → ${total}: ${held.locked} locked and ${held.sold} sold ` +
            `by the imported orders, ${total - held.locked - held.sold} still available`,
        );
      }
    }
    if (total > MAX_STOCK) {
      note("tier", s, `stock ${total} capped at ${MAX_STOCK}`);
      total = Math.max(MAX_STOCK, held.locked + held.sold);
    }
    tier.totalStock = total;
  }
  for (const [b, n] of perBuyer) {
    const [userKey, tierKey] = b.split("|");
    const tier = tierByKey.get(tierKey)!;
    if (n <= tier.limitCount) continue;
    const s = src("t_ticket", tierSource.get(tierKey)!.id);
    if (n <= 10) {
      note("tier", s, `limit ${tier.limitCount} → ${n}: buyer ${userKey} holds ${n} tickets`);
      tier.limitCount = n;
    } else {
      tier.limitCount = 10;
      note("tier", s, `buyer ${userKey} holds ${n} tickets, over the maximum limit of 10`);
    }
  }
  return plan;
}

/** The tier an order item is of: its ticket when that is of the item's session, else the
 * session's tier of the item's tier name. A string starting with "!" says why neither. */
function tierOfItem(
  item: SourceItem,
  tiers: Map<string, SourceTicket>,
  bySessionName: Map<string, SourceTicket[]>,
  key: (table: "t_ticket", id: number) => string,
): string {
  const own = item.ticketId === null ? undefined : tiers.get(key("t_ticket", item.ticketId));
  if (own && (item.sessionId === null || own.sessionId === item.sessionId)) {
    return key("t_ticket", own.id);
  }
  if (item.sessionId !== null && item.ticketName) {
    const named = bySessionName.get(`${item.sessionId}|${item.ticketName.trim()}`) ?? [];
    if (named.length === 1) return key("t_ticket", named[0].id);
  }
  if (own) return key("t_ticket", own.id);
  return `!its tier ${item.ticketId ?? "(none)"} is not imported`;
}

interface Grid {
  rows: number;
  cols: number;
  seats: (Omit<PlannedSeat, "key"> & { sourceId: number })[];
}

/** The source seats of an area as a grid of at most 100 × 100, or why they are not one. */
export function gridOf(seats: SourceSeat[]): Grid | string {
  const rows = rowNumbers(seats.map((s) => s.rowNum));
  if (!rows) return "a seat has no row";
  if (rows.size > MAX_GRID) return `${rows.size} rows (at most ${MAX_GRID})`;
  const out: Grid["seats"] = [];
  const taken = new Set<string>();
  let cols = 0;
  for (const seat of seats) {
    if (!/^\d{1,3}$/.test(seat.seatNum.trim())) return `seat number "${seat.seatNum}"`;
    const seatNum = Number(seat.seatNum.trim());
    if (seatNum < 1 || seatNum > MAX_GRID) return `seat number ${seatNum} (1-${MAX_GRID})`;
    const label = seat.rowNum.trim();
    const rowNum = rows.get(label)!;
    if (taken.has(`${rowNum}|${seatNum}`)) return `seat ${label}-${seatNum} twice`;
    taken.add(`${rowNum}|${seatNum}`);
    cols = Math.max(cols, seatNum);
    const code = seat.seatCode && seat.seatCode.length <= 32
      ? seat.seatCode
      : `${label.slice(0, 20)}-${String(seatNum).padStart(2, "0")}`;
    out.push({
      sourceId: seat.id,
      rowNum,
      seatNum,
      seatCode: code,
      x: seat.x ?? seatNum,
      y: seat.y ?? rowNum,
      enabled: seat.enabled,
    });
  }
  out.sort((a, b) => a.rowNum - b.rowNum || a.seatNum - b.seatNum);
  return { rows: rows.size, cols, seats: out };
}
