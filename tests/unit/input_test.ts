import assert from "node:assert/strict";
import { Hono, z } from "#deps";
import { errorResponse } from "#http/envelope.ts";
import { type ParsedInput, parseInput, validate } from "#http/input.ts";
import { type AnyRoute, defineRoute, type HonoEnv } from "#http/route.ts";
import { Flag, Id, IdParam, intQuery, Money, pageRequest, Time } from "#http/schemas.ts";
import { AppError, isAppError } from "#lib/platform/errors.ts";

/** The field and reason of the 400 that `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isAppError(e), String(e));
    assert.equal(e.code, "VALIDATION_FAILED");
    return e.message;
  }
  assert.fail("expected a 400");
}

Deno.test("validate: the first problem becomes `field: reason`", () => {
  const schema = z.object({
    quantity: z.number().int().min(1),
    seat: z.object({ id: Id }),
  }).strict();
  assert.deepEqual(validate(schema, { quantity: 2, seat: { id: "12" } }, ""), {
    quantity: 2,
    seat: { id: 12 },
  });
  assert.equal(refusal(() => validate(schema, { seat: { id: 1 } }, "")), "quantity: is required");
  assert.match(
    refusal(() => validate(schema, { quantity: "2", seat: { id: 1 } }, "")),
    /^quantity: expected number/,
  );
  assert.match(
    refusal(() => validate(schema, { quantity: 0, seat: { id: 1 } }, "")),
    /^quantity: /,
  );
  assert.match(
    refusal(() => validate(schema, { quantity: 1, seat: { id: "0" } }, "")),
    /^seat\.id: /,
  );
  assert.equal(
    refusal(() => validate(schema, { quantity: 1, seat: { id: 1 }, userId: 9 }, "")),
    "body: unknown field userId",
  );
  assert.match(refusal(() => validate(z.number(), "x", "query.page")), /^query\.page: /);
  assert.match(refusal(() => validate(z.number(), null, "")), /^body: /);
});

Deno.test("schemas: ids, whole numbers, money, flags, times, pages", () => {
  assert.equal(validate(Id, 7, ""), 7);
  assert.equal(validate(Id, "7", ""), 7);
  for (const bad of [0, -1, 1.5, "07", "1e3", "", 2 ** 53]) refusal(() => validate(Id, bad, "id"));
  assert.equal(validate(IdParam, "42", ""), 42);
  refusal(() => validate(IdParam, "4x", ""));
  assert.equal(validate(intQuery(1, 100), "100", ""), 100);
  refusal(() => validate(intQuery(1, 100), "101", ""));
  refusal(() => validate(intQuery(1, 100), "1.0", ""));
  assert.equal(validate(Money, 380.25, ""), 380.25);
  assert.equal(validate(Money, 0.1 + 0.2, ""), 0.1 + 0.2);
  assert.equal(refusal(() => validate(Money, 1.005, "price")), "price: at most 2 decimals");
  refusal(() => validate(Money, -1, ""));
  assert.equal(validate(Flag, 1, ""), true);
  assert.equal(validate(Flag, 0, ""), false);
  assert.equal(validate(Flag, true, ""), true);
  refusal(() => validate(Flag, 2, ""));
  refusal(() => validate(Flag, "true", ""));
  assert.equal(
    validate(Time, "2026-12-01T19:30:00+08:00", "").toISOString(),
    "2026-12-01T11:30:00.000Z",
  );
  assert.equal(
    refusal(() => validate(Time, "tomorrow", "startTime")),
    "startTime: expected ISO-8601 or YYYY-MM-DD HH:mm:ss",
  );
  assert.deepEqual(pageRequest({}), { page: 1, size: 10 });
  assert.deepEqual(pageRequest({ current: 3, size: 5 }), { page: 3, size: 5 });
  assert.deepEqual(pageRequest({ page: 2, current: 3 }), { page: 2, size: 10 });
});

const route = defineRoute({
  summary: "test",
  auth: "public",
  params: z.object({ id: IdParam }),
  query: z.object({ size: intQuery(1, 100).optional(), q: z.string().optional() }),
  body: z.object({ quantity: z.number().int().optional() }).strict(),
  data: z.null(),
  handler: () => null,
});

/** A bare Hono app whose one route answers with what parseInput made of the request. */
function echo(r: AnyRoute) {
  const app = new Hono<HonoEnv>();
  app.post("/things/:id", async (c) => c.json(await parseInput(c, r)));
  app.onError((e) => errorResponse(isAppError(e) ? e : new AppError("INTERNAL", String(e))));
  return app;
}

async function send(
  r: AnyRoute,
  path: string,
  body?: string,
  type = "application/json",
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await echo(r).request(path, {
    method: "POST",
    body,
    headers: body === undefined ? {} : { "content-type": type },
  });
  return { status: res.status, json: await res.json() };
}

Deno.test("parseInput: path, query and body parsed by the route's schemas", async () => {
  const ok = await send(route, "/things/12?size=5&q=rock", '{"quantity":3}');
  assert.deepEqual(ok.json, {
    params: { id: 12 },
    query: { size: 5, q: "rock" },
    body: { quantity: 3 },
  });
  const bad = await send(route, "/things/x", '{"quantity":3}');
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.message), /^id: /);
});

Deno.test("parseInput: an empty query value means not given", async () => {
  const r = await send(route, "/things/1?size=&q=%20", "{}");
  assert.deepEqual(r.json.query, {});
  const bad = await send(route, "/things/1?size=0", "{}");
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.message), /^size: /);
});

Deno.test("parseInput: the body must be JSON, required unless optional", async () => {
  const missing = await send(route, "/things/1");
  assert.equal(missing.status, 400);
  assert.equal(missing.json.message, "body: a JSON body is required");
  const blank = await send(route, "/things/1", "  ", "text/plain");
  assert.equal(blank.json.message, "body: a JSON body is required");
  const form = await send(route, "/things/1", "quantity=1", "application/x-www-form-urlencoded");
  assert.equal(form.json.message, "body: Content-Type must be application/json");
  const broken = await send(route, "/things/1", "{", "application/json; charset=utf-8");
  assert.equal(broken.json.message, "body: malformed JSON");
  const vendor = await send(route, "/things/1", '{"quantity":1}', "application/vnd.x+json");
  assert.deepEqual(vendor.json.body, { quantity: 1 });
  const extra = await send(route, "/things/1", '{"userId":1}');
  assert.equal(extra.json.message, "body: unknown field userId");

  const optional = { ...route, bodyOptional: true };
  const none = await send(optional, "/things/1");
  assert.deepEqual(none.json.body, {});
});

Deno.test("parseInput: a request without a body is parsed once per URL, and bounded", async () => {
  let parses = 0;
  const counted = z.string().transform((v) => {
    parses++;
    return v;
  });
  const getRoute = defineRoute({
    summary: "test",
    auth: "public",
    params: z.object({ id: IdParam }),
    query: z.object({ q: counted.optional() }),
    data: z.null(),
    handler: () => null,
  });
  const seen: ParsedInput[] = [];
  const app = new Hono<HonoEnv>();
  app.get("/things/:id", async (c) => {
    seen.push(await parseInput(c, getRoute));
    return c.body(null, 204);
  });
  app.onError((e) => errorResponse(isAppError(e) ? e : new AppError("INTERNAL", String(e))));
  const get = async (path: string) => (await app.request(path)).status;

  assert.equal(await get("/things/7?q=a"), 204);
  assert.equal(await get("/things/7?q=a"), 204);
  assert.equal(parses, 1, "the second request of the same URL is not parsed again");
  assert.equal(seen[1], seen[0]);
  assert.deepEqual(seen[0], { params: { id: 7 }, query: { q: "a" }, body: undefined });
  assert.ok(Object.isFrozen(seen[0]) && Object.isFrozen(seen[0].query));

  assert.equal(await get("/things/8?q=a"), 204);
  assert.deepEqual(seen[2].params, { id: 8 });
  assert.equal(parses, 2);

  // A refusal is not kept: refused again, and it does not stand in for a good URL.
  assert.equal(await get("/things/x?q=a"), 400);
  assert.equal(await get("/things/x?q=a"), 400);

  // A flood of distinct URLs empties the memo rather than growing it: the first is parsed again.
  for (let i = 0; i < 1_000; i++) await get(`/things/9?q=${i}`);
  let before = parses;
  assert.equal(await get("/things/7?q=a"), 204);
  assert.equal(parses, before + 1);

  // A long URL (unknown fields are dropped, so it parses) is not kept.
  const long = `/things/7?q=b&junk=${"x".repeat(600)}`;
  before = parses;
  assert.equal(await get(long), 204);
  assert.equal(await get(long), 204);
  assert.equal(parses, before + 2);
});
