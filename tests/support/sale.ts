/**
 * A sale to test against: a show, a session on sale now and one tier, made through the admin
 * API; and a real listening server for tests that must go through HTTP.
 */
import assert from "node:assert/strict";
import type { TestEnv } from "./env.ts";

export interface Sale {
  showId: number;
  sessionId: number;
  ticketId: number;
  adminToken: string;
}

export async function createSale(
  env: TestEnv,
  opts: { stock: number; limit?: number; price?: number; saleStart?: string; saleEnd?: string },
): Promise<Sale> {
  const admin = await env.admin();
  const ok = async (method: string, path: string, body: unknown) => {
    const res = await env.call<{ id: number }>(method, path, { token: admin.token, body });
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
    return res.body.data.id;
  };
  const showId = await ok("POST", "/api/show", {
    name: "Flash Sale Night",
    type: 1,
    venue: "Arena",
    city: "上海",
    startTime: "2030-05-01 19:30:00",
    endTime: "2030-05-01 22:00:00",
  });
  const sessionId = await ok("POST", `/api/show/${showId}/sessions`, {
    name: "Night 1",
    startTime: "2030-05-01 19:30:00",
    endTime: "2030-05-01 22:00:00",
    ...(opts.saleStart ? { saleStartTime: opts.saleStart } : {}),
    ...(opts.saleEnd ? { saleEndTime: opts.saleEnd } : {}),
  });
  const ticketId = await ok("POST", "/api/ticket", {
    showId,
    sessionId,
    name: "Floor",
    price: opts.price ?? 380,
    totalStock: opts.stock,
    limitCount: opts.limit ?? 4,
  });
  return { showId, sessionId, ticketId, adminToken: admin.token };
}

/** The tier's numbers in MySQL and Redis. */
export async function stockOf(env: TestEnv, sale: Sale) {
  const [m] = await env.ctx.db.rows<{ total: number; locked: number; sold: number }>(
    `SELECT total_stock AS total, locked_stock AS locked, sold_stock AS sold
       FROM ticket_stock WHERE ticket_id = ?`,
    [sale.ticketId],
  );
  const key = env.ctx.keys.tier(sale.sessionId, sale.ticketId);
  const r = await env.ctx.redis.send<(string | null)[]>(
    ["HMGET", key, "total", "locked", "sold"],
    key,
  );
  return {
    mysql: m,
    redis: r[0] === null ? null : { total: Number(r[0]), locked: Number(r[1]), sold: Number(r[2]) },
  };
}

/** The app on a real socket (127.0.0.1, a free port), for tests that need real HTTP. */
export function listen(env: TestEnv): { url: string; close: () => Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req, info) => env.app.fetch(req, { remoteAddr: info.remoteAddr }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** A JSON request to a listening server; returns status and parsed envelope. */
export async function http<T = unknown>(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: { code: number; data: T; error?: string; message: string } }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, body: await res.json() };
}
