/**
 * What the load generator's workers do, one workload a scenario family. A workload gets its
 * parameters (tokens, ids) and the worker count, and returns a per-worker loop plus a summary of
 * what it saw besides the per-route tallies. Every loop ends when `client.done` says so.
 */
import type { Client } from "./loadgen.ts";

export interface Run {
  worker(client: Client, index: number): Promise<void>;
  extra(): Record<string, unknown>;
}

export type Workload = (params: Record<string, unknown>, workers: number) => Run;

/** Buyer i of n workers: buyers index, index + n, index + 2n, ... */
const mine = <T>(all: T[], index: number, workers: number) =>
  all.filter((_, i) => i % workers === index);

let idempotencyCounter = 0;
const idempotencyKey = () =>
  `bench-${Date.now().toString(36)}-${(++idempotencyCounter).toString(36)}-${
    Math.random().toString(36).slice(2, 8)
  }`;

/**
 * POST /api/order/create in a loop. `perBuyer` > 0: each buyer goes on until it has that many
 * orders or is refused with a code in `stopOn` (flash sale, seed design). `perBuyer` = 0: the
 * worker cycles through its buyers forever (sold out).
 */
const createLoop: Workload = (params, workers) => {
  const tokens = params.tokens as string[];
  const body = params.body as Record<string, unknown>;
  const perBuyer = Number(params.perBuyer ?? 0);
  const stopOn = new Set((params.stopOn as string[] | undefined) ?? []);
  const path = (params.path as string | undefined) ?? "/api/order/create";
  let buyersFinished = 0;
  let buyersStopped = 0;
  let firstStopAt: number | null = null;
  const t0 = performance.now();
  return {
    async worker(client, index) {
      const buyers = mine(tokens, index, workers);
      if (buyers.length === 0) return;
      if (perBuyer === 0) {
        for (let i = 0; !client.done; i = (i + 1) % buyers.length) {
          await client.call("create", "POST", path, { token: buyers[i], body });
        }
        return;
      }
      for (const token of buyers) {
        let got = 0;
        while (got < perBuyer && !client.done) {
          const headers: Record<string, string> = params.idempotency
            ? { "idempotency-key": idempotencyKey() }
            : {};
          const a = await client.call("create", "POST", path, { token, body, headers });
          if (a.ok) {
            got++;
          } else if (a.code && stopOn.has(a.code)) {
            buyersStopped++;
            firstStopAt ??= performance.now() - t0;
            break;
          }
        }
        if (got === perBuyer) buyersFinished++;
        if (client.done) return;
      }
    },
    extra: () => ({
      buyers: tokens.length,
      buyersFinished,
      buyersStopped,
      firstStopAtMs: firstStopAt === null ? null : Math.round(firstStopAt),
    }),
  };
};

const pick = <T>(from: T[], k: number): T[] => {
  const out = new Set<T>();
  while (out.size < Math.min(k, from.length)) {
    out.add(from[Math.floor(Math.random() * from.length)]);
  }
  return [...out];
};

/**
 * Seated sale: buyers hold a random 2-4 seat set (POST /api/seat/lock) and order it
 * (POST /api/order/create with the seat ids). Seats are chosen among those this run has not
 * sold yet, so concurrent buyers collide on holds as real ones do; a hold refused is retried
 * with another set. Each buyer places at most `ordersPerBuyer` orders.
 */
const seats: Workload = (params) => {
  const tokens = params.tokens as string[];
  const sessionId = Number(params.sessionId);
  const ordersPerBuyer = Number(params.ordersPerBuyer ?? 2);
  const unsold = new Set(params.seatIds as number[]);
  let nextBuyer = 0;
  let holds = 0;
  let holdConflicts = 0;
  let orders = 0;
  let seatsOrdered = 0;
  let stuck = 0;
  return {
    async worker(client) {
      while (!client.done && unsold.size >= 2 && nextBuyer < tokens.length) {
        const token = tokens[nextBuyer++];
        for (let placed = 0; placed < ordersPerBuyer && !client.done && unsold.size >= 2;) {
          const want = pick([...unsold], 2 + Math.floor(Math.random() * 3));
          const hold = await client.call("hold", "POST", "/api/seat/lock", {
            token,
            body: { sessionId, seatIds: want },
          });
          if (!hold.ok) {
            if (hold.code === "SEAT_UNAVAILABLE") holdConflicts++;
            continue;
          }
          holds++;
          const order = await client.call("create", "POST", "/api/order/create", {
            token,
            body: { sessionId, seatIds: want },
            headers: { "idempotency-key": idempotencyKey() },
          });
          for (const s of want) unsold.delete(s); // sold, or held by this buyer for minutes
          if (order.ok) {
            orders++;
            seatsOrdered += want.length;
            placed++;
          } else {
            stuck += want.length;
            break;
          }
        }
      }
    },
    extra: () => ({
      holds,
      holdConflicts,
      orders,
      seatsOrdered,
      seatsLeftUnsold: unsold.size,
      stuck,
    }),
  };
};

/**
 * A day of traffic in one mix: browse (show list, show detail, seat layout), hold seats, create,
 * pay, by weight; pay settles an order this worker created earlier (a create when it has none).
 * Meant to run paced (`rate` in the job).
 */
const mixed: Workload = (params, workers) => {
  const tokens = params.tokens as string[];
  const showId = Number(params.showId);
  const sessionId = Number(params.sessionId);
  const ticketId = Number(params.ticketId);
  const areaId = params.areaId === null || params.areaId === undefined
    ? null
    : Number(params.areaId);
  const seatIds = (params.seatIds as number[] | undefined) ?? [];
  const seatSessionId = Number(params.seatSessionId ?? sessionId);
  const weights = params.weights as Record<string, number>;
  const routes = Object.entries(weights).filter(([, w]) => w > 0);
  const sum = routes.reduce((s, [, w]) => s + w, 0);
  let paid = 0;
  let created = 0;
  return {
    async worker(client, index) {
      const buyers = mine(tokens, index, workers).map((token) => ({ token, orders: 0 }));
      const pending: { token: string; orderNo: string }[] = [];
      let b = 0;
      const create = async () => {
        // Each buyer stays within the tier's limit of 10.
        while (buyers.length && buyers[b % buyers.length].orders >= 10) {
          buyers.splice(b % buyers.length, 1);
        }
        if (!buyers.length) return;
        const buyer = buyers[b++ % buyers.length];
        buyer.orders++;
        const a = await client.call<string>("create", "POST", "/api/order/create", {
          token: buyer.token,
          body: { showId, sessionId, ticketId, quantity: 1 },
          headers: { "idempotency-key": idempotencyKey() },
        });
        if (a.ok && typeof a.data === "string") {
          created++;
          pending.push({ token: buyer.token, orderNo: a.data });
        }
      };
      while (!client.done) {
        let r = Math.random() * sum;
        const [route] = routes.find(([, w]) => (r -= w) < 0) ?? routes[routes.length - 1];
        const token = buyers.length ? buyers[Math.floor(Math.random() * buyers.length)].token : "";
        switch (route) {
          case "list":
            await client.call("list", "GET", "/api/show/list?page=1&size=10");
            break;
          case "detail":
            await client.call("detail", "GET", `/api/show/detail/${showId}`);
            break;
          case "layout":
            await client.call(
              "layout",
              "GET",
              `/api/seat/layout/${areaId}?sessionId=${seatSessionId}`,
            );
            break;
          case "hold":
            await client.call("hold", "POST", "/api/seat/lock", {
              token,
              body: { sessionId: seatSessionId, seatIds: pick(seatIds, 2) },
            });
            break;
          case "create":
            await create();
            break;
          case "pay": {
            const order = pending.shift();
            if (!order) {
              await create();
              break;
            }
            const a = await client.call(
              "pay",
              "POST",
              `/api/order/pay?orderNo=${order.orderNo}&payType=1`,
              { token: order.token },
            );
            if (a.ok) paid++;
            break;
          }
        }
      }
    },
    extra: () => ({ created, paid }),
  };
};

export const WORKLOADS = {
  "create-loop": createLoop,
  seats,
  mixed,
} satisfies Record<string, Workload>;
