import { invalid } from "#lib/platform/errors.ts";
/** Schemas shared by the order routes (a helper: files starting with `_` are not routes). */
import { z } from "#deps";
import { TimeOut } from "#http/schemas.ts";

/**
 * An order number (23 digits, or letters and digits for one imported from the reference
 * system) or the order's numeric id (1-16 digits).
 */
export const OrderRef = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/,
  "expected an order number or id",
)
  .openapi({
    example: "20261126120000123456001",
  });

export const PayType = z.number().int().min(1).max(3).openapi({
  description: "1 alipay, 2 wechat, 3 card",
});

const Money = z.number();

export const OrderDetail = z.object({
  id: z.number().int(),
  orderNo: z.string(),
  userId: z.number().int(),
  showId: z.number().int(),
  showName: z.string(),
  venue: z.string(),
  sessionId: z.number().int(),
  sessionName: z.string(),
  ticketId: z.number().int(),
  ticketName: z.string(),
  price: Money,
  quantity: z.number().int(),
  totalAmount: Money,
  payAmount: Money,
  basePrice: Money.nullable(),
  nightSurcharge: Money.nullable(),
  status: z.number().int().openapi({
    description: "0 pending payment, 1 paid, 2 cancelled, 3 expired, 4 refunded",
  }),
  statusName: z.string(),
  payTime: TimeOut.nullable(),
  payType: z.number().int().nullable(),
  expireTime: TimeOut,
  createTime: TimeOut,
  bookingDate: TimeOut.nullable(),
  bookingEndTime: TimeOut.nullable(),
  bookingDuration: z.number().int().nullable(),
  contactPhone: z.string().nullable(),
  remark: z.string().nullable(),
  seatId: z.number().int().nullable(),
  seatInfo: z.string().nullable(),
  items: z.array(z.object({
    seatId: z.number().int().nullable(),
    seatInfo: z.string().nullable(),
    price: Money,
    quantity: z.number().int(),
    subtotal: Money,
  })),
}).openapi("Order");

/** The longest Idempotency-Key kept (orders.idempotency_key is VARCHAR(128)). */
export const IDEMPOTENCY_KEY_MAX = 128;

/** The Idempotency-Key header: absent, or 1-128 visible ASCII characters; else 400. */
export function idempotencyKeyOf(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (raw.length > IDEMPOTENCY_KEY_MAX || !/^[\x21-\x7e]+$/.test(raw)) {
    throw invalid(
      "Idempotency-Key",
      `1-${IDEMPOTENCY_KEY_MAX} visible ASCII characters (letters, digits, -_.: ...)`,
    );
  }
  return raw;
}
