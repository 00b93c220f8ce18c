/**
 * Order numbers: `yyyyMMddHHmmssSSS` (UTC) + 3 digits of this process + 3 digits of a counter,
 * 23 characters. They sort by creation time, a buyer cannot guess another's from their own
 * (the process part is random), and two processes collide only if they drew the same process
 * digits and counter in the same millisecond — MySQL's unique key turns that into a retryable
 * 503, never a shared order.
 */
import { notFound } from "#lib/platform/errors.ts";

const processPart = String(crypto.getRandomValues(new Uint16Array(1))[0] % 1000).padStart(3, "0");
let counter = 0;

export function nextOrderNo(nowMs: number): string {
  counter = (counter + 1) % 1000;
  const stamp = new Date(nowMs).toISOString().replace(/\D/g, "").slice(0, 17);
  return `${stamp}${processPart}${String(counter).padStart(3, "0")}`;
}

export const ORDER_NO = /^\d{23}$/;

/**
 * The column an order reference names: 1-16 digits are the numeric id; anything else of letters,
 * digits, _ and - is an order number — boxoffice's own (23 digits) or one imported from the
 * reference system (e.g. "ORD202412010001"). Anything else is not an order (404, as for an order
 * that does not exist).
 */
export function orderRefColumn(ref: string): "order_no" | "id" {
  if (/^[1-9]\d{0,15}$/.test(ref)) return "id";
  if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(ref)) return "order_no";
  throw notFound(`order ${ref}`);
}
