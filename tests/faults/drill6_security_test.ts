/**
 * Drill 6: security. Forged, `alg: none`, wrongly signed, expired and revoked tokens; another
 * buyer's orders by number and id (sequential and guessed); every admin route with a buyer's
 * token; SQL metacharacters in every string field of every route; a 10 MB body. Each must be
 * refused as API.md says (401 / 404 / 403 / 400 / 413), and no reply may leak internals: no
 * stack trace, no SQL text, no driver error, no file path.
 */
import { SignJWT } from "#deps";
import { routes } from "../../routes.gen.ts";
import { TEST_JWT_SECRET, TEST_PASSWORD } from "../support/env.ts";
import type { ServerProcess } from "../support/process.ts";
import { createSale, stockOf } from "../support/sale.ts";
import {
  Checks,
  drill,
  drillEnv,
  type Reply,
  request,
  type RequestOptions,
  size,
  startServer,
  stopServer,
  summaryOf,
  Tally,
} from "./_support.ts";

const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE orders; --",
  "\\'; SELECT SLEEP(5); --",
  "1' UNION SELECT password_hash, 1 FROM users --",
  "%' OR 1=1 --",
  '" OR ""="',
  "admin'--",
  "`users`",
  "1; UPDATE ticket_stock SET total_stock = 0",
];

/** What must never appear in a reply (after removing what the client itself sent). */
const LEAKS: [string, RegExp][] = [
  ["stack trace", /\n\s+at \S|\bat (async )?\S+ \((file|ext|node):/i],
  ["file path", /file:\/\/|\/work\/|\/home\/|\/tmp\/|node_modules|\.ts:\d+/i],
  [
    "SQL text",
    /\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|You have an error in your SQL/i,
  ],
  ["driver error", /\bER_[A-Z_]+\b|sqlMessage|sqlState|errno|ECONNREFUSED/i],
];

drill("6: security", { short: false }, async (t, stores) => {
  const env = await drillEnv(stores);
  const checks = new Checks();
  const tally = new Tally();
  let server: ServerProcess | undefined;
  const sentStrings = new Set<string>(SQL);
  try {
    const sale = await createSale(env, { stock: 50, limit: 4 });
    const [alice, bob] = await env.users(2);
    const admin = await env.admin();
    server = await startServer(env);
    const url = server.url;

    /** Every reply goes through here: sent, counted, and searched for leaks. */
    const call = async (method: string, path: string, opts: RequestOptions = {}) => {
      const r = await request(url, method, path, opts, tally);
      // The client's own strings may come back (in any case) naming the bad field: not a leak.
      let text = r.text.toLowerCase();
      for (const s of sentStrings) text = text.split(s.toLowerCase()).join("");
      for (const [what, re] of LEAKS) {
        checks.ok(!re.test(text), `${method} ${path} leaks ${what}: ${r.text.slice(0, 400)}`);
      }
      return r;
    };
    const refused = (r: Reply, status: number, error: string, what: string) => {
      checks.equal(
        [r.status, r.json?.code, r.json?.success, r.json?.error],
        [status, status, false, error],
        `${what}: ${r.text.slice(0, 300)}`,
      );
    };

    await t.step("forged, alg:none, wrong-algorithm, expired and revoked tokens: 401", async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { role: "admin", ims: Date.now() };
      const sign = (secret: string, opts: { alg?: string; exp?: number; sub?: string } = {}) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: opts.alg ?? "HS256", typ: "JWT" })
          .setSubject(opts.sub ?? String(admin.id))
          .setJti(crypto.randomUUID())
          .setIssuedAt(now - 7200)
          .setExpirationTime(opts.exp ?? now + 3600)
          .sign(new TextEncoder().encode(secret));
      const b64 = (o: unknown) =>
        btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
      const payload = { sub: String(admin.id), role: "admin", jti: "j", ims: Date.now() };
      const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...payload, exp: now + 3600 })}.`;
      const [bobHeader, , bobSig] = bob.token.split(".");
      // Registered through the API, logged in, logged out: its token is revoked.
      const reg = await call("POST", "/api/user/register", {
        body: { username: "carol_sec", password: TEST_PASSWORD, phone: "13912345678" },
      });
      checks.equal(reg.status, 200, reg.text);
      const login = await call("POST", "/api/user/login", {
        body: { username: "carol_sec", password: TEST_PASSWORD },
      });
      const revoked = String((login.json?.data as { token: string }).token);
      checks.equal((await call("POST", "/api/user/logout", { token: revoked })).status, 200, "out");
      const tokens: [string, string][] = [
        ["forged (another secret)", await sign("not-the-secret-not-the-secret-not-the-secret")],
        ["alg none", none],
        ["alg none, no dot", none.slice(0, -1)],
        ["HS512 with the right secret", await sign(TEST_JWT_SECRET, { alg: "HS512" })],
        ["expired", await sign(TEST_JWT_SECRET, { exp: now - 60 })],
        ["revoked", revoked],
        [
          "admin claims on bob's signature",
          `${bobHeader}.${b64({ ...payload, exp: now + 9 })}.${bobSig}`,
        ],
        ["sub not a number", await sign("x".repeat(40), { sub: "1 OR 1=1" })],
        ["garbage", "not.a.token"],
      ];
      for (const [what, token] of tokens) {
        refused(await call("GET", "/api/user/info", { token }), 401, "UNAUTHORIZED", what);
        refused(await call("GET", "/api/admin/jobs", { token }), 401, "UNAUTHORIZED", what);
        refused(
          await call("POST", "/api/order/create", {
            token,
            body: { ticketId: sale.ticketId, quantity: 1 },
          }),
          401,
          "UNAUTHORIZED",
          what,
        );
      }
    });

    let aliceOrders: { id: number; orderNo: string }[] = [];
    await t.step(
      "another buyer's orders, by number and id, sequential and guessed: 404",
      async () => {
        const make = async (token: string) => {
          const r = await call("POST", "/api/order/create", {
            token,
            body: { ticketId: sale.ticketId, quantity: 1 },
            headers: { "idempotency-key": crypto.randomUUID() },
          });
          checks.equal(r.status, 200, r.text);
          const no = String(r.json!.data);
          const d = await call("GET", `/api/order/${no}`, { token });
          return { id: (d.json!.data as { id: number }).id, orderNo: no };
        };
        aliceOrders = [await make(alice.token), await make(alice.token)];
        const paid = await call("POST", `/api/order/pay/${aliceOrders[1].orderNo}`, {
          token: alice.token,
          body: { payType: 1 },
        });
        checks.equal(paid.status, 200, paid.text);
        const bobs = await make(bob.token);
        const own = new Set([String(bobs.id), bobs.orderNo]);
        const guesses = new Set<string>();
        for (const o of aliceOrders) {
          guesses.add(String(o.id)).add(o.orderNo);
          for (let d = -size(20, 5); d <= size(20, 5); d++) {
            if (o.id + d > 0) guesses.add(String(o.id + d));
            const tail = BigInt(o.orderNo) + BigInt(d);
            guesses.add(String(tail));
          }
        }
        for (const ref of [...guesses].filter((g) => !own.has(g))) {
          const paths: [string, string, RequestOptions?][] = [
            ["GET", `/api/order/${ref}`],
            ["GET", `/api/order/detail/${ref}`],
            ["GET", `/api/order/detail/by-order-no/${ref}`],
            ["POST", `/api/order/pay/${ref}`, { body: { payType: 1 } }],
            ["POST", `/api/order/pay?orderNo=${ref}&payType=1`],
            ["POST", "/api/order/pay", { body: { orderNo: ref, payType: 1 } }],
            ["POST", `/api/order/cancel?orderNo=${ref}`],
            ["PUT", `/api/order/cancel/${ref}`],
          ];
          for (const [method, path, opts] of paths) {
            const r = await call(method, path, { ...opts, token: bob.token });
            if (/by-order-no/.test(path) && !/^\d{23}$/.test(ref)) {
              checks.ok([400, 404].includes(r.status), `${path}: ${r.text}`);
            } else refused(r, 404, "NOT_FOUND", `bob: ${method} ${path}`);
          }
        }
        // userId sent by the client (body, query, header) is ignored: the token decides.
        const list = await call("GET", `/api/order/list?userId=${alice.id}&size=100`, {
          token: bob.token,
          headers: { "x-user-id": String(alice.id), "x-username": alice.username },
        });
        const records = (list.json!.data as { records: { userId: number }[] }).records;
        checks.ok(records.every((r) => r.userId === bob.id), "bob's list is bob's");
        const [a1, a2] = await Promise.all(
          aliceOrders.map((o) =>
            env.ctx.db.rows<{ status: number }>(
              "SELECT status FROM orders WHERE id = ?",
              [o.id],
            )
          ),
        );
        checks.equal([a1[0].status, a2[0].status], [0, 1], "alice's orders untouched");
      },
    );

    await t.step("every admin route: 403 with a buyer's token, 401 without one", async () => {
      for (const e of routes) {
        for (const [method, route] of Object.entries(e.module)) {
          if (route?.auth !== "admin") continue;
          const path = e.path.replace(/\{\w+\}/g, "1");
          const body = route.body ? {} : undefined;
          refused(await call(method, path, { token: bob.token, body }), 403, "FORBIDDEN", path);
          refused(await call(method, path, { body }), 401, "UNAUTHORIZED", path);
        }
      }
    });

    await t.step(
      "SQL metacharacters in every string field: stored as text or refused",
      async () => {
        const keysOf = (schema: unknown): string[] => {
          const s = schema as { shape?: object; _zod?: { def?: { shape?: object } } } | undefined;
          return Object.keys(s?.shape ?? s?._zod?.def?.shape ?? {});
        };
        for (const e of routes) {
          for (const [method, route] of Object.entries(e.module)) {
            // These end the token they are sent with (or change its password): not for bob.
            if (
              !route ||
              ["/api/user/logout", "/api/user/password", "/api/user/auth/refresh-token"]
                .includes(e.path)
            ) continue;
            const token = route.auth === "admin" ? admin.token : bob.token;
            for (const sql of SQL) {
              const path = e.path.replace(/\{\w+\}/g, encodeURIComponent(sql));
              const r = await call(method, path, { token });
              checks.ok(r.status < 500, `${method} ${path}: ${r.status}`);
              for (const k of keysOf(route.query)) {
                const q = await call(
                  method,
                  `${e.path.replace(/\{\w+\}/g, "1")}?${k}=${encodeURIComponent(sql)}`,
                  { token },
                );
                checks.ok(q.status < 500, `${method} ${e.path}?${k}: ${q.status} ${q.text}`);
              }
              for (const k of keysOf(route.body)) {
                const b = await call(method, e.path.replace(/\{\w+\}/g, "1"), {
                  token,
                  body: { [k]: sql },
                });
                checks.ok(b.status < 500, `${method} ${e.path} {${k}}: ${b.status} ${b.text}`);
              }
            }
          }
        }
        // Where they are valid, they are stored and read back as the text they are.
        for (const sql of SQL) {
          const nick = sql.slice(0, 64);
          const put = await call("PUT", "/api/user/info", {
            token: bob.token,
            body: { nickname: nick },
          });
          checks.equal(put.status, 200, put.text);
          const info = await call("GET", "/api/user/info", { token: bob.token });
          checks.equal((info.json!.data as { nickname: string }).nickname, nick.trim(), "nickname");
          const show = await call("POST", "/api/show", {
            token: admin.token,
            body: {
              name: sql,
              type: 1,
              venue: sql,
              city: sql,
              startTime: "2030-05-01 19:30:00",
              endTime: "2030-05-01 22:00:00",
              description: sql,
            },
          });
          checks.equal(show.status, 200, show.text);
          const detail = await call(
            "GET",
            `/api/show/detail/${(show.json!.data as { id: number }).id}`,
          );
          checks.equal((detail.json!.data as { name: string }).name, sql, "show name");
          const order = await call("POST", "/api/order/create", {
            token: alice.token,
            body: {
              ticketId: sale.ticketId,
              quantity: 1,
              remark: sql,
              contactPhone: sql.slice(0, 20),
            },
          });
          checks.ok([200, 400, 409].includes(order.status), `order with SQL remark: ${order.text}`);
          const login = await call("POST", "/api/user/login", {
            body: { username: sql, password: sql },
          });
          checks.ok([400, 401, 429].includes(login.status), `login as ${sql}: ${login.text}`);
        }
        // A search for SQL finds only the shows named so, not every show.
        const all = await call("GET", "/api/show/list?size=100");
        const total = (all.json!.data as { total: number }).total;
        const keyword = "%' OR 1=1 --";
        const hit = await call(
          "GET",
          `/api/show/list?size=100&keyword=${encodeURIComponent(keyword)}`,
        );
        const found = hit.json!.data as {
          total: number;
          records: { name: string; venue: string; city: string }[];
        };
        checks.ok(found.total >= 1 && found.total < total, `keyword: ${found.total} of ${total}`);
        checks.ok(
          found.records.every((r) => [r.name, r.venue, r.city].some((f) => f.includes(keyword))),
          "every show found contains the keyword literally",
        );
        const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM orders");
        checks.ok(Number(n) > 0, "the orders table is still there");
        const stock = await stockOf(env, sale);
        checks.equal(stock.mysql.total, 50, "no SQL changed the stock");
      },
    );

    await t.step("a 10 MB body: 413, announced or streamed; the server carries on", async () => {
      const big = new Uint8Array(10 * 1024 * 1024).fill(0x20);
      big.set(new TextEncoder().encode('{"ticketId": 1, "remark": "'), 0);
      for (const path of ["/api/order/create", "/api/user/register", "/api/user/login"]) {
        const announced = await call("POST", path, {
          token: alice.token,
          rawBody: big,
          headers: { "content-type": "application/json" },
        });
        refused(announced, 413, "PAYLOAD_TOO_LARGE", `${path} 10 MB`);
        const streamed = await call("POST", path, {
          token: alice.token,
          rawBody: new ReadableStream({
            start(c) {
              for (let i = 0; i < 160; i++) c.enqueue(big.subarray(i * 65536, (i + 1) * 65536));
              c.close();
            },
          }),
          headers: { "content-type": "application/json" },
        });
        refused(streamed, 413, "PAYLOAD_TOO_LARGE", `${path} 10 MB chunked`);
      }
      const health = await call("GET", "/api/health");
      checks.equal(health.status, 200, health.text);
      checks.equal(tally.serverErrors, 0, "no 5xx in the whole drill");
      const bugs = server!.lines.filter((l) => /unhandled error/.test(l));
      checks.equal(bugs.slice(0, 5), [], "unhandled errors in the server log");
    });
  } finally {
    await stopServer(server);
    await env.close().catch(() => {});
  }
  return summaryOf("6 security", tally, checks);
});
