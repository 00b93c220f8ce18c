/**
 * Orders: the purchase protocol of DESIGN.md.
 *
 * create  validate → Redis reserve (one atomic script) → one MySQL transaction (order, items,
 *         status log, conditional stock update) → reply. When MySQL fails the reservation is
 *         released before the error goes back.
 * pay     one MySQL transaction (PENDING_PAYMENT → PAID unless expired, locked → sold), then
 *         the confirm script. Paying again answers the same.
 * cancel  MySQL first (→ CANCELLED, stock unlocked), then the release script. Idempotent.
 * expire  the same as cancel, for unpaid orders past expire_at (→ EXPIRED).
 * A Redis step that fails after MySQL committed becomes a compensation record (retried later).
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { Queryable, SqlValue } from "#lib/platform/db.ts";
import { isDbUnavailable, isDuplicateKey } from "#lib/platform/db.ts";
import {
  AppError,
  type ErrorCode,
  invalid,
  isAppError,
  notFound,
  unavailable,
} from "#lib/platform/errors.ts";
import { confirmOrCompensate, releaseOrCompensate } from "./compensations.ts";
import { errorFields } from "#lib/platform/log.ts";
import { recordOrderEvent, recordSoldOut } from "#lib/platform/metrics.ts";
import { nextOrderNo } from "./order_numbers.ts";
import { limitOffset, type Page, pageOf, type PageRequest } from "#lib/platform/pages.ts";
import { namingHours, planWindow, priceWindow } from "#lib/seating/hourly.ts";
import { refuseDisabled, resolveSeats, type Seat } from "#lib/seating/seats.ts";
import { adoptReservation, reserveStock } from "#lib/sale/stock_gate.ts";
import { assertOnSale, getTierFacts, type TierFacts } from "#lib/catalog/tier_facts.ts";

export const ORDER_STATUS = {
  PENDING_PAYMENT: 0,
  PAID: 1,
  CANCELLED: 2,
  EXPIRED: 3,
  REFUNDED: 4,
} as const;

const STATUS_NAMES: Record<number, string> = {
  0: "待支付",
  1: "已支付",
  2: "已取消",
  3: "已过期",
  4: "已退款",
};

/** The longest a duplicate request waits for the first one to finish. */
const DUPLICATE_WAIT_MS = 10_000;
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface CreateOrderInput {
  showId?: number;
  sessionId?: number;
  ticketId?: number;
  quantity?: number;
  /** Seats of a seated tier (or the reference client's single `seatId`). */
  seatIds?: number[];
  seatId?: number;
  /** Hourly bookings: the window's start, and its length or end. */
  bookingDate?: Date;
  bookingDuration?: number;
  bookingEndTime?: Date;
  contactPhone?: string;
  remark?: string;
  /** The request's Idempotency-Key header. */
  idempotencyKey?: string;
}

/** What an order reserves and costs, decided before anything is written. */
interface OrderPlan {
  facts: TierFacts;
  quantity: number;
  /** Tickets taken from the tier's stock (0 for an hourly booking: it books seat-hours). */
  stockQuantity: number;
  hourly?: {
    start: Date;
    end: Date;
    hours: number;
    basePrice: number;
    nightSurcharge: number;
    seats: Seat[];
  };
  /** Seat ids or seat-hours claimed in Redis. */
  slots: string[];
  items: { seatId: number | null; seatInfo: string | null; price: number; quantity: number }[];
  totalAmount: number;
}

/** Creates an order and returns its number (the first order's number for a duplicate). */
export async function createOrder(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
): Promise<string> {
  const seated = input.seatIds !== undefined || input.seatId !== undefined;
  const plan = seated ? await planSeated(ctx, input) : await planGeneralAdmission(ctx, input);
  return await placeOrder(ctx, userId, input, plan);
}

/**
 * Seats named by the buyer: they may be held by the buyer or free (free ones are held and
 * reserved in the same atomic step); the session and tier are the seats' own.
 */
async function planSeated(ctx: AppContext, input: CreateOrderInput): Promise<OrderPlan> {
  if (input.seatIds !== undefined && input.seatId !== undefined) {
    throw invalid("seatIds", "send seatIds or seatId, not both");
  }
  const single = input.seatIds === undefined;
  const seatIds = input.seatIds ?? [input.seatId!];
  const { seats, areas } = await resolveSeats(ctx, seatIds, input.sessionId);
  if ([...areas.values()].some((a) => a.hourly)) {
    if (input.bookingDate === undefined) {
      throw invalid("bookingDate", "required: these seats are booked by the hour");
    }
    return await planHourly(ctx, input, seatIds);
  }
  // Not booked by the hour: bookingDate, bookingEndTime and bookingDuration are ignored, as the
  // reference web client sends them with every seat order (like the prices it sends).
  const tiers = new Set(seats.map((s) => s.ticketId));
  if (tiers.size > 1) throw invalid("seatIds", "the seats belong to different tiers");
  const ticketId = seats[0].ticketId;
  if (input.ticketId !== undefined && input.ticketId !== ticketId) {
    throw invalid("ticketId", `the seats are seats of ticket ${ticketId}`);
  }
  // The reference client sends one seatId with a larger quantity: the quantity is the seats'.
  if (!single && input.quantity !== undefined && input.quantity !== seats.length) {
    throw invalid("quantity", `${seats.length} seats are named`);
  }
  const facts = await getTierFacts(ctx, ticketId);
  checkBelongs(facts, input);
  if (seats.length > facts.limitCount) {
    throw invalid("seatIds", `at most ${facts.limitCount} seats per buyer for this tier`);
  }
  refuseDisabled(seats);
  assertOnSale(facts, ctx.now());
  const items = seats.map((seat) => {
    const area = areas.get(seat.areaId)!;
    return {
      seatId: seat.id,
      seatInfo: `${area.name} ${seat.seatCode}`,
      price: area.price,
      quantity: 1,
    };
  });
  return {
    facts,
    quantity: seats.length,
    stockQuantity: seats.length,
    slots: seats.map((s) => String(s.id)),
    items,
    totalAmount: roundMoney(items.reduce((sum, i) => sum + i.price, 0)),
  };
}

async function planGeneralAdmission(ctx: AppContext, input: CreateOrderInput): Promise<OrderPlan> {
  if (input.ticketId === undefined) throw invalid("ticketId", "required");
  if (input.quantity === undefined) throw invalid("quantity", "required");
  const facts = await getTierFacts(ctx, input.ticketId);
  checkBelongs(facts, input);
  if (facts.seated) throw invalid("seatIds", `tier ${facts.ticketId} is seated: name the seats`);
  if (input.quantity > facts.limitCount) {
    throw invalid("quantity", `at most ${facts.limitCount} per buyer for this tier`);
  }
  assertOnSale(facts, ctx.now());
  const total = roundMoney(facts.price * input.quantity);
  return {
    facts,
    quantity: input.quantity,
    stockQuantity: input.quantity,
    slots: [],
    items: [{ seatId: null, seatInfo: null, price: facts.price, quantity: input.quantity }],
    totalAmount: total,
  };
}

/**
 * An hourly booking: the seats for [bookingDate, + bookingDuration hours) (or up to
 * bookingEndTime), priced hour by hour on the server; ticketId and quantity are ignored.
 */
async function planHourly(
  ctx: AppContext,
  input: CreateOrderInput,
  seatIds: number[],
): Promise<OrderPlan> {
  const plan = await planWindow(ctx, {
    sessionId: input.sessionId,
    seatIds,
    start: input.bookingDate!,
    hours: input.bookingDuration,
    end: input.bookingEndTime,
  }, { start: "bookingDate", hours: "bookingDuration", end: "bookingEndTime" });
  if (input.showId !== undefined && input.showId !== plan.showId) {
    throw invalid("seatIds", `the seats are not seats of show ${input.showId}`);
  }
  const facts = await getTierFacts(ctx, plan.seats[0].ticketId);
  assertOnSale(facts, ctx.now());
  const price = priceWindow(plan.seats, plan.areas, plan.window);
  return {
    facts: { ...facts, price: plan.areas.get(plan.seats[0].areaId)!.price },
    quantity: plan.seats.length,
    stockQuantity: 0,
    slots: plan.slots,
    items: price.perSeat.map(({ seat, area, amount }) => ({
      seatId: seat.id,
      seatInfo: `${area.name} ${seat.seatCode}`,
      price: amount,
      quantity: 1,
    })),
    totalAmount: price.totalAmount,
    hourly: {
      start: plan.window.start,
      end: plan.window.end,
      hours: plan.window.hours,
      basePrice: price.basePrice,
      nightSurcharge: price.nightSurcharge,
      seats: plan.seats,
    },
  };
}

/** A showId or sessionId sent with the ticket must be the ticket's own. */
export function checkBelongs(facts: TierFacts, input: { showId?: number; sessionId?: number }) {
  if (input.sessionId !== undefined && input.sessionId !== facts.sessionId) {
    throw invalid(
      "ticketId",
      `ticket ${facts.ticketId} is not a tier of session ${input.sessionId}`,
    );
  }
  if (input.showId !== undefined && input.showId !== facts.showId) {
    throw invalid("ticketId", `ticket ${facts.ticketId} is not a tier of show ${input.showId}`);
  }
}

async function placeOrder(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
  plan: OrderPlan,
): Promise<string> {
  const { facts } = plan;
  const reservedAt = ctx.now(); // before any reserve below (adoptReservation compares it)
  const sessionId = facts.sessionId;
  const dedup = dedupKeyOf(ctx, input, plan);
  for (let attempt = 0;; attempt++) {
    const orderNo = nextOrderNo(ctx.now());
    const reserve = () =>
      reserveStock(ctx, {
        orderNo,
        userId,
        sessionId,
        ticketId: facts.ticketId,
        quantity: plan.stockQuantity,
        limit: facts.limitCount,
        slots: plan.slots,
        dedupKey: dedup?.key,
        dedupTtlMs: dedup?.ttlMs ?? 0,
      });
    const reserved = await (plan.hourly ? namingHours(plan.hourly.seats, reserve) : reserve())
      .catch((e) => {
        if (isAppError(e) && e.code === "SOLD_OUT") recordSoldOut();
        throw e;
      });
    if (reserved.outcome === "duplicate") {
      const first = await awaitFirstOrder(ctx, userId, sessionId, reserved.firstOrderNo);
      if (first === null) {
        // The first request died before its order reached MySQL (a crash between reserve and
        // commit; reconcile released its reservation): the key is stale. Drop it if it still
        // names that order, and start over.
        if (attempt > 2) throw unavailable(`the order request ${reserved.firstOrderNo}`);
        const key = ctx.keys.dedup(sessionId, userId, dedup!.key);
        await ctx.scripts.run("release-lock", [key], [reserved.firstOrderNo]);
        continue;
      }
      if (first.status === ORDER_STATUS.PENDING_PAYMENT || first.status === ORDER_STATUS.PAID) {
        return first.orderNo;
      }
      // An implicit duplicate of an order since cancelled or expired is a new purchase.
      if (dedup?.explicit || attempt > 0) return first.orderNo;
      const key = ctx.keys.dedup(sessionId, userId, dedup!.key);
      await ctx.redis.send(["DEL", key], key);
      continue;
    }
    const ref = { orderNo, sessionId, ticketId: facts.ticketId };
    try {
      await insertOrder(ctx, userId, orderNo, input, plan);
      // Redis may have lost the reservation (restart + rebuild) before the commit: put it back.
      // Stock counted: none for an hourly booking (its slots are "seatId@hour" seat-hours).
      const quantity = plan.slots.some((s) => s.includes("@")) ? 0 : plan.quantity;
      const reservation = { ...ref, userId, quantity, slots: plan.slots };
      await adoptReservation(ctx, reservation, reservedAt).catch((e) =>
        ctx.log.warn("reservation not checked after commit", { orderNo, ...errorFields(e) })
      );
      recordOrderEvent("created");
      return orderNo;
    } catch (e) {
      const refusal = await refusalAfterReserve(ctx, userId, input, e);
      if (dedup) await recordFailedOutcome(ctx, userId, sessionId, dedup.key, orderNo, refusal);
      await releaseOrCompensate(ctx, ref);
      if (typeof refusal === "string") return refusal;
      throw refusal;
    }
  }
}

/** Turns a failed MySQL step into the reply: an error, or the number of an existing order. */
async function refusalAfterReserve(
  ctx: AppContext,
  userId: number,
  input: CreateOrderInput,
  e: unknown,
): Promise<AppError | string> {
  if (isAppError(e)) return e;
  if (isDuplicateKey(e) && input.idempotencyKey) {
    // Redis lost the key but MySQL has the order: that order is the answer.
    const [row] = await ctx.db.rows<{ order_no: string }>(
      "SELECT order_no FROM orders WHERE user_id = ? AND idempotency_key = ?",
      [userId, input.idempotencyKey],
    ).catch(() => []);
    if (row) return row.order_no;
  }
  if (!isDbUnavailable(e)) {
    ctx.log.error("order insert failed", { error: e instanceof Error ? e.message : String(e) });
  }
  return unavailable("the database", e);
}

/**
 * The MySQL step of a create, as one transaction in one round trip: the order, its items, its
 * status log row, its seat claims and — last, so the hot tier's row lock is held only for the
 * time the server needs to commit — the stock. MySQL refuses oversell on its own: the stock
 * row's CHECK constraint (locked + sold <= total) fails the UPDATE, and nothing is committed.
 */
async function insertOrder(
  ctx: AppContext,
  userId: number,
  orderNo: string,
  input: CreateOrderInput,
  plan: OrderPlan,
): Promise<void> {
  const { facts } = plan;
  const now = ctx.now();
  const statements = orderStatements({
    orderNo,
    userId,
    showId: facts.showId,
    sessionId: facts.sessionId,
    ticketId: facts.ticketId,
    quantity: plan.quantity,
    price: facts.price,
    totalAmount: plan.totalAmount,
    hourly: plan.hourly,
    expireAt: new Date(now + ctx.config.orderPaySeconds * 1000),
    contactPhone: input.contactPhone ?? null,
    remark: input.remark ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    createdAt: new Date(now),
    items: plan.items,
    slots: plan.slots,
    stockQuantity: plan.stockQuantity,
  });
  try {
    await ctx.db.atomic(statements);
  } catch (e) {
    if (isConstraintViolation(e)) {
      throw new AppError("SOLD_OUT", `tier ${facts.ticketId} is sold out`);
    }
    if (isDuplicateKey(e) && /seat_claims|PRIMARY/.test(String((e as Error).message))) {
      throw new AppError("SEAT_UNAVAILABLE", "seats not available: already in an order");
    }
    throw e;
  }
}

export interface NewOrderRow {
  orderNo: string;
  userId: number;
  showId: number;
  sessionId: number;
  ticketId: number;
  quantity: number;
  price: number;
  totalAmount: number;
  hourly?: { start: Date; end: Date; hours: number; basePrice: number; nightSurcharge: number };
  expireAt: Date;
  contactPhone: string | null;
  remark: string | null;
  idempotencyKey: string | null;
  createdAt: Date;
  items: { seatId: number | null; seatInfo: string | null; price: number; quantity: number }[];
  slots: string[];
  stockQuantity: number;
}

/**
 * The statements of a create's transaction (for Db.atomic; also sent as they are by the
 * flashsale benchmark's baseline, so both sides run the same SQL).
 */
export function orderStatements(o: NewOrderRow): { sql: string; params?: SqlValue[] }[] {
  const statements: { sql: string; params?: SqlValue[] }[] = [
    {
      sql: `INSERT INTO orders (order_no, user_id, show_id, session_id, ticket_id, quantity, price,
                           total_amount, base_price, night_surcharge, booking_start, booking_end,
                           booking_hours, status, expire_at, contact_phone, remark,
                           idempotency_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`,
      params: [
        o.orderNo,
        o.userId,
        o.showId,
        o.sessionId,
        o.ticketId,
        o.quantity,
        o.price,
        o.totalAmount,
        o.hourly?.basePrice ?? null,
        o.hourly?.nightSurcharge ?? null,
        o.hourly?.start ?? null,
        o.hourly?.end ?? null,
        o.hourly?.hours ?? null,
        o.expireAt,
        o.contactPhone,
        o.remark,
        o.idempotencyKey,
        o.createdAt,
      ],
    },
    { sql: "SET @order_id = LAST_INSERT_ID()" },
    {
      sql:
        `INSERT INTO order_items (order_id, ticket_id, seat_id, seat_info, price, quantity, subtotal)
       VALUES ${o.items.map(() => "(@order_id, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      params: o.items.flatMap((i) => [
        o.ticketId,
        i.seatId,
        i.seatInfo,
        i.price,
        i.quantity,
        roundMoney(i.price * i.quantity),
      ]),
    },
    {
      sql: `INSERT INTO order_status_log (order_id, from_status, to_status, reason)
            VALUES (@order_id, NULL, 0, 'created')`,
    },
  ];
  if (o.slots.length) {
    // MySQL's own guard: a slot already in an unpaid or paid order is a duplicate key.
    statements.push({
      sql: `INSERT INTO seat_claims (session_id, slot, seat_id, order_id)
         VALUES ${o.slots.map(() => "(?, ?, ?, @order_id)").join(", ")}`,
      params: o.slots.flatMap((slot) => [o.sessionId, slot, Number(slot.split("@")[0])]),
    });
  }
  if (o.stockQuantity > 0) {
    statements.push({
      sql: `UPDATE ticket_stock SET locked_stock = locked_stock + ?, version = version + 1
             WHERE ticket_id = ?`,
      params: [o.stockQuantity, o.ticketId],
    });
  }
  return statements;
}

/** A CHECK constraint failed (MariaDB 4025, MySQL 3819): here, the stock would go over. */
export function isConstraintViolation(e: unknown): boolean {
  const errno = (e as { errno?: number })?.errno;
  return errno === 4025 || errno === 3819;
}

// ---------------------------------------------------------------- duplicates

interface DedupKey {
  key: string;
  ttlMs: number;
  explicit: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

function dedupKeyOf(
  ctx: AppContext,
  input: CreateOrderInput,
  plan: OrderPlan,
): DedupKey | undefined {
  if (input.idempotencyKey !== undefined) {
    if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
      throw invalid("Idempotency-Key", "1-128 printable ASCII characters");
    }
    return { key: `k:${input.idempotencyKey}`, ttlMs: IDEMPOTENCY_TTL_MS, explicit: true };
  }
  const windowMs = ctx.config.dedupWindowSeconds * 1000;
  if (windowMs <= 0) return undefined;
  const fingerprint = `${plan.facts.ticketId}|${plan.quantity}|${[...plan.slots].sort().join(",")}`;
  return { key: `f:${fingerprintHash(fingerprint)}`, ttlMs: windowMs, explicit: false };
}

/**
 * Two 32-bit FNV-1a hashes (different offsets) of a request's fingerprint. Not cryptographic:
 * the key is scoped to one buyer and one session for a few seconds, so a collision could only
 * merge two of that buyer's own requests; a digest through WebCrypto cost 7 % of the CPU of a
 * sold-out flood.
 */
function fingerprintHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x0100019d);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36);
}

/** Lets duplicates waiting on this create answer as it did, and lets a later retry start over. */
async function recordFailedOutcome(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  key: string,
  orderNo: string,
  refusal: AppError | string,
): Promise<void> {
  const outcomeKey = ctx.keys.dedupOutcome(sessionId, orderNo);
  const dedupKey = ctx.keys.dedup(sessionId, userId, key);
  const outcome = typeof refusal === "string"
    ? { orderNo: refusal }
    : { code: refusal.code, message: refusal.message };
  try {
    await ctx.redis.send(["SET", outcomeKey, JSON.stringify(outcome), "PX", "30000"], outcomeKey);
    await ctx.redis.send(["DEL", dedupKey], dedupKey);
  } catch {
    // Redis is down too: the dedup key expires by itself; waiting duplicates time out.
  }
}

/**
 * Waits (bounded) until the first request of a duplicate pair has its order or its refusal.
 * Null when the first request is dead: no order, no outcome, and no reservation left in Redis.
 */
async function awaitFirstOrder(
  ctx: AppContext,
  userId: number,
  sessionId: number,
  orderNo: string,
): Promise<{ orderNo: string; status: number } | null> {
  const outcomeKey = ctx.keys.dedupOutcome(sessionId, orderNo);
  const reservations = ctx.keys.reservations(sessionId);
  const deadline = Date.now() + DUPLICATE_WAIT_MS;
  for (let gone = 0;;) {
    const [row] = await ctx.db.rows<{ order_no: string; status: number }>(
      "SELECT order_no, status FROM orders WHERE order_no = ? AND user_id = ?",
      [orderNo, userId],
    );
    if (row) return { orderNo: row.order_no, status: row.status };
    const outcome = await ctx.redis.send<string | null>(["GET", outcomeKey], outcomeKey);
    if (outcome) {
      const o = JSON.parse(outcome) as { orderNo?: string; code?: ErrorCode; message?: string };
      if (o.orderNo) return await awaitFirstOrder(ctx, userId, sessionId, o.orderNo);
      throw new AppError(o.code!, o.message!);
    }
    // Reservation gone and still no row nor outcome (looked twice): nothing will ever come.
    const held = await ctx.redis.send(["HEXISTS", reservations, orderNo], reservations);
    if (Number(held) === 1) gone = 0;
    else if (++gone === 2) return null;
    else continue;
    if (Date.now() > deadline) {
      throw new AppError("CONFLICT", "an identical order request is still being processed", {
        retryAfter: 1,
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------- pay, cancel, expire

interface OrderRow {
  id: number;
  order_no: string;
  user_id: number;
  session_id: number;
  ticket_id: number;
  quantity: number;
  status: number;
  expire_at: Date;
  booking_start: Date | null;
}

const ORDER_STATE_SELECT = `SELECT id, order_no, user_id, session_id, ticket_id, quantity, status,
                                   expire_at, booking_start FROM orders`;

/**
 * An order reference of 1-16 digits is the numeric id; anything else is an order number —
 * boxoffice's own (23 digits) or one imported from the reference system (e.g. "ORD2024...").
 */
const isOrderNumber = (ref: string) => !/^[1-9]\d{0,15}$/.test(ref);

/** `ref` is the order number or the numeric id; another buyer's order is not found. */
async function findOwnOrder(
  db: Queryable,
  userId: number | null,
  ref: string,
  forUpdate = false,
): Promise<OrderRow> {
  const byNumber = isOrderNumber(ref);
  const [row] = await db.rows<OrderRow>(
    `${ORDER_STATE_SELECT} WHERE ${byNumber ? "order_no" : "id"} = ?
       ${userId === null ? "" : "AND user_id = ?"} ${forUpdate ? "FOR UPDATE" : ""}`,
    userId === null ? [ref] : [ref, userId],
  );
  if (!row) throw notFound(`order ${ref}`);
  return row;
}

/** Stock counted in the tier for this order (hourly bookings count seat-hours, not stock). */
const stockQuantity = (o: OrderRow) => o.booking_start === null ? o.quantity : 0;

const refOf = (o: OrderRow) => ({
  orderNo: o.order_no,
  sessionId: o.session_id,
  ticketId: o.ticket_id,
});

export async function payOrder(
  ctx: AppContext,
  userId: number,
  ref: string,
  payType: number,
): Promise<true> {
  const order = await findOwnOrder(ctx.db, userId, ref);
  if (order.status === ORDER_STATUS.PAID) return true;
  refuseUnpayable(order, ctx.now());
  const now = new Date(ctx.now());
  const paid = await ctx.db.tx(async (tx) => {
    const { affectedRows } = await tx.exec(
      `UPDATE orders SET status = 1, pay_type = ?, pay_time = ?
        WHERE id = ? AND status = 0 AND expire_at > ?`,
      [payType, now, order.id, now],
    );
    if (affectedRows === 0) return false;
    const q = stockQuantity(order);
    if (q > 0) {
      const moved = await tx.exec(
        `UPDATE ticket_stock SET locked_stock = locked_stock - ?, sold_stock = sold_stock + ?,
                version = version + 1
          WHERE ticket_id = ? AND locked_stock >= ?`,
        [q, q, order.ticket_id, q],
      );
      if (moved.affectedRows === 0) {
        throw new Error(`ticket_stock of tier ${order.ticket_id} has fewer than ${q} locked`);
      }
    }
    await logTransition(tx, order.id, 0, 1, "paid");
    return true;
  });
  if (!paid) {
    // Someone else moved it first (a concurrent pay, cancel or the expiry job): answer as of now.
    const current = await findOwnOrder(ctx.db, userId, ref);
    if (current.status === ORDER_STATUS.PAID) return true;
    refuseUnpayable({ ...current, status: current.status }, ctx.now(), true);
  }
  recordOrderEvent("paid");
  await confirmOrCompensate(ctx, refOf(order));
  return true;
}

function refuseUnpayable(order: OrderRow, now: number, raced = false): void {
  if (order.status === ORDER_STATUS.CANCELLED) {
    throw new AppError("ORDER_STATE", `order ${order.order_no} was cancelled`);
  }
  if (order.status === ORDER_STATUS.EXPIRED || order.expire_at.getTime() <= now || raced) {
    throw new AppError("ORDER_EXPIRED", `order ${order.order_no} expired unpaid`);
  }
  if (order.status !== ORDER_STATUS.PENDING_PAYMENT) {
    throw new AppError("ORDER_STATE", `order ${order.order_no} cannot be paid`);
  }
}

/** Cancels an unpaid order of the buyer. Cancelling again (or an expired one) answers true. */
export async function cancelOrder(ctx: AppContext, userId: number, ref: string): Promise<true> {
  const order = await findOwnOrder(ctx.db, userId, ref);
  if (order.status === ORDER_STATUS.CANCELLED || order.status === ORDER_STATUS.EXPIRED) return true;
  if (order.status !== ORDER_STATUS.PENDING_PAYMENT) {
    throw new AppError("ORDER_STATE", `order ${order.order_no} is paid: it cannot be cancelled`);
  }
  const done = await releaseOrder(ctx, order, ORDER_STATUS.CANCELLED, "cancelled by buyer");
  if (!done) {
    const current = await findOwnOrder(ctx.db, userId, ref);
    if (current.status === ORDER_STATUS.PAID) {
      throw new AppError("ORDER_STATE", `order ${order.order_no} is paid: it cannot be cancelled`);
    }
  }
  return true;
}

/** Expires one unpaid order past its expire_at. False when it was paid or released meanwhile. */
export async function expireOrder(ctx: AppContext, orderNo: string): Promise<boolean> {
  const order = await findOwnOrder(ctx.db, null, orderNo);
  if (order.status !== ORDER_STATUS.PENDING_PAYMENT) return false;
  return await releaseOrder(ctx, order, ORDER_STATUS.EXPIRED, "expired unpaid");
}

/** MySQL first (status, stock, seats, log in one transaction), then Redis. */
async function releaseOrder(
  ctx: AppContext,
  order: OrderRow,
  to: 2 | 3,
  reason: string,
): Promise<boolean> {
  const now = new Date(ctx.now());
  const changed = await ctx.db.tx(async (tx) => {
    const { affectedRows } = await tx.exec(
      `UPDATE orders SET status = ? WHERE id = ? AND status = 0
          ${to === ORDER_STATUS.EXPIRED ? "AND expire_at <= ?" : ""}`,
      to === ORDER_STATUS.EXPIRED ? [to, order.id, now] : [to, order.id],
    );
    if (affectedRows === 0) return false;
    const q = stockQuantity(order);
    if (q > 0) {
      const moved = await tx.exec(
        `UPDATE ticket_stock SET locked_stock = locked_stock - ?, version = version + 1
          WHERE ticket_id = ? AND locked_stock >= ?`,
        [q, order.ticket_id, q],
      );
      if (moved.affectedRows === 0) {
        throw new Error(`ticket_stock of tier ${order.ticket_id} has fewer than ${q} locked`);
      }
    }
    await tx.exec("DELETE FROM seat_claims WHERE order_id = ?", [order.id]);
    await logTransition(tx, order.id, 0, to, reason);
    return true;
  });
  if (changed) {
    recordOrderEvent(to === ORDER_STATUS.EXPIRED ? "expired" : "cancelled");
    await releaseOrCompensate(ctx, refOf(order));
  }
  return changed;
}

async function logTransition(
  tx: Queryable,
  orderId: number,
  from: number,
  to: number,
  reason: string,
) {
  await tx.exec(
    "INSERT INTO order_status_log (order_id, from_status, to_status, reason) VALUES (?, ?, ?, ?)",
    [orderId, from, to, reason],
  );
}

// ---------------------------------------------------------------- reading

export interface OrderItem {
  seatId: number | null;
  seatInfo: string | null;
  price: number;
  quantity: number;
  subtotal: number;
}

export interface OrderDetail {
  id: number;
  orderNo: string;
  userId: number;
  showId: number;
  showName: string;
  venue: string;
  sessionId: number;
  sessionName: string;
  ticketId: number;
  ticketName: string;
  price: number;
  quantity: number;
  totalAmount: number;
  payAmount: number;
  basePrice: number | null;
  nightSurcharge: number | null;
  status: number;
  statusName: string;
  payTime: Date | null;
  payType: number | null;
  expireTime: Date;
  createTime: Date;
  bookingDate: Date | null;
  bookingEndTime: Date | null;
  bookingDuration: number | null;
  contactPhone: string | null;
  remark: string | null;
  seatId: number | null;
  seatInfo: string | null;
  items: OrderItem[];
}

interface DetailRow {
  id: number;
  order_no: string;
  user_id: number;
  show_id: number;
  show_name: string;
  venue: string;
  session_id: number;
  session_name: string;
  ticket_id: number;
  ticket_name: string;
  price: number;
  quantity: number;
  total_amount: number;
  base_price: number | null;
  night_surcharge: number | null;
  status: number;
  pay_time: Date | null;
  pay_type: number | null;
  expire_at: Date;
  created_at: Date;
  booking_start: Date | null;
  booking_end: Date | null;
  booking_hours: number | null;
  contact_phone: string | null;
  remark: string | null;
}

const DETAIL_SELECT = `
  SELECT o.id, o.order_no, o.user_id, o.show_id, sh.name AS show_name, sh.venue,
         o.session_id, se.name AS session_name, o.ticket_id, t.name AS ticket_name,
         o.price, o.quantity, o.total_amount, o.base_price, o.night_surcharge, o.status,
         o.pay_time, o.pay_type, o.expire_at, o.created_at, o.booking_start, o.booking_end,
         o.booking_hours, o.contact_phone, o.remark
    FROM orders o
    JOIN shows sh ON sh.id = o.show_id
    JOIN sessions se ON se.id = o.session_id
    JOIN tickets t ON t.id = o.ticket_id`;

/** One order with its items; buyers see their own only (admins any). */
export async function getOrder(
  ctx: AppContext,
  caller: { userId: number; role: string },
  ref: string,
): Promise<OrderDetail> {
  const byNumber = isOrderNumber(ref);
  const own = caller.role !== "admin";
  const [row] = await ctx.db.rows<DetailRow>(
    `${DETAIL_SELECT} WHERE o.${byNumber ? "order_no" : "id"} = ? ${
      own ? "AND o.user_id = ?" : ""
    }`,
    own ? [ref, caller.userId] : [ref],
  );
  if (!row) throw notFound(`order ${ref}`);
  const [detail] = await withItems(ctx, [row]);
  return detail;
}

export async function listOrders(
  ctx: AppContext,
  userId: number,
  filter: { status?: number },
  page: PageRequest,
): Promise<Page<OrderDetail>> {
  const where = filter.status === undefined ? "o.user_id = ?" : "o.user_id = ? AND o.status = ?";
  const params = filter.status === undefined ? [userId] : [userId, filter.status];
  const [{ n }] = await ctx.db.rows<{ n: number }>(
    `SELECT COUNT(*) AS n FROM orders o WHERE ${where}`,
    params,
  );
  const rows = await ctx.db.rows<DetailRow>(
    `${DETAIL_SELECT} WHERE ${where} ORDER BY o.id DESC LIMIT ? OFFSET ?`,
    [...params, ...limitOffset(page)],
  );
  return pageOf(await withItems(ctx, rows), Number(n), page);
}

async function withItems(ctx: AppContext, rows: DetailRow[]): Promise<OrderDetail[]> {
  if (!rows.length) return [];
  const items = await ctx.db.rows<
    {
      order_id: number;
      seat_id: number | null;
      seat_info: string | null;
      price: number;
      quantity: number;
      subtotal: number;
    }
  >(
    `SELECT order_id, seat_id, seat_info, price, quantity, subtotal FROM order_items
      WHERE order_id IN (${rows.map(() => "?").join(", ")}) ORDER BY id`,
    rows.map((r) => r.id),
  );
  const byOrder = new Map<number, OrderItem[]>();
  for (const i of items) {
    const list = byOrder.get(i.order_id) ?? [];
    list.push({
      seatId: i.seat_id,
      seatInfo: i.seat_info,
      price: Number(i.price),
      quantity: i.quantity,
      subtotal: Number(i.subtotal),
    });
    byOrder.set(i.order_id, list);
  }
  return rows.map((r) => {
    const list = byOrder.get(r.id) ?? [];
    const total = Number(r.total_amount);
    return {
      id: r.id,
      orderNo: r.order_no,
      userId: r.user_id,
      showId: r.show_id,
      showName: r.show_name,
      venue: r.venue,
      sessionId: r.session_id,
      sessionName: r.session_name,
      ticketId: r.ticket_id,
      ticketName: r.ticket_name,
      price: Number(r.price),
      quantity: r.quantity,
      totalAmount: total,
      payAmount: total,
      basePrice: r.base_price === null ? null : Number(r.base_price),
      nightSurcharge: r.night_surcharge === null ? null : Number(r.night_surcharge),
      status: r.status,
      statusName: STATUS_NAMES[r.status] ?? String(r.status),
      payTime: r.pay_time,
      payType: r.pay_type,
      expireTime: r.expire_at,
      createTime: r.created_at,
      bookingDate: r.booking_start,
      bookingEndTime: r.booking_end,
      bookingDuration: r.booking_hours,
      contactPhone: r.contact_phone,
      remark: r.remark,
      seatId: list[0]?.seatId ?? null,
      seatInfo: list[0]?.seatInfo ?? null,
      items: list,
    };
  });
}

export function roundMoney(n: number): number {
  return Math.round(n * 100) / 100;
}
