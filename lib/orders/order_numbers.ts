/**
 * Order numbers: `yyyyMMddHHmmssSSS` (UTC) + 3 digits of the instance + 3 digits of a counter,
 * 23 characters. They sort by creation time, and they are unique across instances: each process
 * takes its instance number from a MySQL counter at its first create (order_number_instances),
 * and within a process the (millisecond, counter) pair only grows — a thousandth number in one
 * millisecond borrows the next millisecond. Two live processes share instance digits only after
 * a thousand others started in between; even then MySQL's unique key refuses the second order
 * (a 500 that is logged, the reservation given back) and never shares one.
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { Db, Queryable } from "#lib/platform/db.ts";
import { notFound } from "#lib/platform/errors.ts";

const PER_MS = 1000;

/** Issues the numbers of one instance (0-999). */
export class OrderNumbers {
  #lastMs = 0;
  #counter = 0;

  constructor(readonly instance: number) {
    if (!Number.isInteger(instance) || instance < 0 || instance >= 1000) {
      throw new RangeError(`instance must be 0-999, got ${instance}`);
    }
  }

  next(nowMs: number): string {
    if (nowMs > this.#lastMs) {
      this.#lastMs = nowMs;
      this.#counter = 0;
    } else if (++this.#counter === PER_MS) {
      // A clock that stands still (or steps back) never repeats a number.
      this.#lastMs++;
      this.#counter = 0;
    }
    return formatOrderNo(this.#lastMs, this.instance, this.#counter);
  }
}

export function formatOrderNo(ms: number, instance: number, counter: number): string {
  return `${stampOf(ms)}${pad3(instance)}${pad3(counter)}`;
}

// The stamp of the last millisecond formatted: a burst of creates shares it (formatting a Date
// each time was 5 % of the CPU of a sold-out flood).
let stampMs = -1;
let stamp = "";
function stampOf(ms: number): string {
  if (ms !== stampMs) {
    stamp = new Date(ms).toISOString().replace(/\D/g, "").slice(0, 17);
    stampMs = ms;
  }
  return stamp;
}

const pad3 = (n: number) => n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;

/** The next instance number of the deployment, from MySQL (0-999, wrapping). */
export async function takeInstanceNumber(db: Db): Promise<number> {
  const n = await db.tx(async (tx: Queryable) => {
    await tx.exec(
      "UPDATE order_number_instances SET last_instance = LAST_INSERT_ID(last_instance + 1) WHERE id = 1",
    );
    const [row] = await tx.rows<{ n: number | string }>("SELECT LAST_INSERT_ID() AS n");
    return Number(row.n);
  });
  return n % 1000;
}

const issuers = new WeakMap<Db, Promise<OrderNumbers>>();

/** This process's issuer for the deployment of `ctx` (its instance number taken once). */
export function orderNumbers(ctx: AppContext): Promise<OrderNumbers> {
  let issuer = issuers.get(ctx.db);
  if (!issuer) {
    issuer = takeInstanceNumber(ctx.db).then((n) => new OrderNumbers(n));
    issuers.set(ctx.db, issuer);
    // Not taken (MySQL down): the next create tries again.
    const taking = issuer;
    taking.catch(() => issuers.get(ctx.db) === taking && issuers.delete(ctx.db));
  }
  return issuer;
}

/**
 * For tools that write orders alone into a database of their own (benchmark seeds): an issuer
 * with random instance digits. The service uses orderNumbers(ctx).
 */
const standalone = new OrderNumbers(crypto.getRandomValues(new Uint16Array(1))[0] % 1000);
export function nextOrderNo(nowMs: number): string {
  return standalone.next(nowMs);
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
