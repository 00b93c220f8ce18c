/** Reading orders: one with its items, or a buyer's page of them. */
import type { AppContext } from "#lib/platform/context.ts";
import { notFound } from "#lib/platform/errors.ts";
import { limitOffset, type Page, pageOf, type PageRequest } from "#lib/platform/pages.ts";
import { orderRefColumn } from "./order_numbers.ts";
import { statusName } from "./status.ts";

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
  const column = orderRefColumn(ref);
  const own = caller.role !== "admin";
  const [row] = await ctx.db.rows<DetailRow>(
    `${DETAIL_SELECT} WHERE o.${column} = ? ${own ? "AND o.user_id = ?" : ""}`,
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
      statusName: statusName(r.status),
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
