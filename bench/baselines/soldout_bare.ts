/**
 * Baseline of `soldout`: the least a server on this stack can do per buyer request — a bare Hono
 * app on the same Deno that answers POST /api/order/create with one EVALSHA of the same reserve
 * script against the same (sold-out) tier keys. No auth, no validation, no MySQL, no logging;
 * X-Trace-Id echoed, as boxoffice does (the wrk flows tie replies to requests with it).
 *
 *   PORT=... REDIS_URL=... REDIS_PREFIX=... SESSION_ID=... TICKET_ID=... \
 *     deno run -A bench/baselines/soldout_bare.ts
 */
import { createClient, Hono } from "#deps";
import { redisKeys } from "#lib/platform/keys.ts";
import { SCRIPT_SOURCES } from "#lib/platform/scripts.ts";

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const k = redisKeys(env("REDIS_PREFIX"));
const sessionId = Number(env("SESSION_ID"));
const ticketId = Number(env("TICKET_ID"));
const redis = createClient({ url: env("REDIS_URL") });
await redis.connect();
// The script as Redis runs it: its includes spliced in, exactly what boxoffice loads.
const sha = String(await redis.scriptLoad(SCRIPT_SOURCES.reserve));
const keys = [
  k.sessionReady(sessionId),
  k.tier(sessionId, ticketId),
  k.tierBuyers(sessionId, ticketId),
  k.reservations(sessionId),
  k.claims(sessionId),
  k.disabledSeats(sessionId),
  k.noDedup(sessionId, 1),
  k.unpaidSeatHours(sessionId),
  k.sessionGeneration(sessionId),
  k.heldBy(sessionId, 1), // the buyer's hold index (KEYS[last], see lua/reserve.lua)
];
let n = 0;

const app = new Hono();
app.post("/api/order/create", async (c) => {
  const args = [`bare${++n}`, "1", String(ticketId), "1", "4", "0", "0"];
  c.header("x-trace-id", c.req.header("x-trace-id") ?? "");
  const [code, detail] = await redis.sendCommand([
    "EVALSHA",
    sha,
    String(keys.length),
    ...keys,
    ...args,
  ]) as [number, number];
  if (code === 1) return c.json({ code: 200, message: "success", data: "reserved", success: true });
  if (code !== -1) return c.json({ code: 500, message: `reserve: ${code} ${detail}` }, 500);
  return c.json(
    {
      code: 409,
      message: `refused ${code} ${detail}`,
      data: null,
      success: false,
      error: "SOLD_OUT",
    },
    409,
  );
});

const server = Deno.serve(
  { hostname: "127.0.0.1", port: Number(env("PORT")), onListen: () => console.log("listening") },
  app.fetch,
);
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  await redis.close();
  Deno.exit(0);
});
