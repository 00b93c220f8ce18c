/**
 * An order's status, as stored in `orders.status`, and the SQL fragments that select by it. Every
 * module that reads or writes orders takes the numbers from here.
 */
export const ORDER_STATUS = {
  PENDING_PAYMENT: 0,
  PAID: 1,
  CANCELLED: 2,
  EXPIRED: 3,
  REFUNDED: 4,
} as const;

export type OrderStatus = (typeof ORDER_STATUS)[keyof typeof ORDER_STATUS];

const STATUS_NAMES: Record<number, string> = {
  [ORDER_STATUS.PENDING_PAYMENT]: "待支付",
  [ORDER_STATUS.PAID]: "已支付",
  [ORDER_STATUS.CANCELLED]: "已取消",
  [ORDER_STATUS.EXPIRED]: "已过期",
  [ORDER_STATUS.REFUNDED]: "已退款",
};

/** The name shown to buyers (the number itself for a status this build does not know). */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? String(status);
}

/** `IN (a, b)` for a status column, e.g. `o.status ${statusIn(PAID, CANCELLED)}`. */
export function statusIn(...statuses: OrderStatus[]): string {
  return `IN (${statuses.join(", ")})`;
}

/** Orders that hold tickets and seats: unpaid or paid (`o.status ${ACTIVE_STATUSES_SQL}`). */
export const ACTIVE_STATUSES_SQL = statusIn(ORDER_STATUS.PENDING_PAYMENT, ORDER_STATUS.PAID);

/** Orders that left PENDING_PAYMENT: paid, cancelled or expired. */
export const SETTLED_STATUSES_SQL = statusIn(
  ORDER_STATUS.PAID,
  ORDER_STATUS.CANCELLED,
  ORDER_STATUS.EXPIRED,
);
