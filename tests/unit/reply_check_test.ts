import assert from "node:assert/strict";
import { z } from "#deps";
import { successBody } from "#http/envelope.ts";
import { defineRoute } from "#http/route.ts";
import { replyMismatch } from "#http/reply_check.ts";
import { pageOf, TimeOut } from "#http/schemas.ts";
import { JsonText } from "#lib/platform/json_text.ts";
import type { ShapeOf } from "#lib/platform/shapes.ts";

const Row = z.object({ id: z.number().int(), at: TimeOut.nullable(), note: z.string().optional() });
const at = new Date("2026-12-01T11:30:00Z");
const check = (schema: z.ZodType, data: unknown) => replyMismatch(schema, successBody(data, "UTC"));

Deno.test("replyMismatch: a reply as declared passes, Dates as times", () => {
  assert.equal(check(Row, { id: 1, at }), undefined);
  assert.equal(check(Row, { id: 1, at: null, note: "x" }), undefined);
  assert.equal(check(z.array(Row), []), undefined);
  assert.equal(
    check(pageOf(Row), { records: [{ id: 1, at }], total: 1, size: 10, current: 1, pages: 1 }),
    undefined,
  );
  assert.equal(check(z.null(), undefined), undefined);
  assert.equal(check(z.record(z.string(), z.string()), { any: "key" }), undefined);
  assert.equal(check(Row, new JsonText('{"id":1,"at":null}')), undefined);
});

Deno.test("replyMismatch: names the first field that breaks the schema", () => {
  assert.match(check(Row, { id: "1", at }) ?? "", /^data\.id: /);
  assert.match(check(Row, { at }) ?? "", /^data\.id: /);
  assert.match(check(z.array(Row), [{ id: 1, at }, { id: 2, at: 5 }]) ?? "", /^data\.1\.at: /);
  assert.match(check(z.literal(true), null) ?? "", /^data: /);
  assert.match(check(Row, new JsonText('{"id":1.5,"at":null}')) ?? "", /^data\.id: /);
});

Deno.test("replyMismatch: a field the schema does not declare is a mismatch", () => {
  assert.equal(
    check(Row, { id: 1, at, password: "x" }),
    "data.password: not declared in the route's data schema",
  );
  assert.equal(
    check(pageOf(Row), {
      records: [{ id: 1, at }, { id: 2, at, userId: 3 }],
      total: 2,
      size: 10,
      current: 1,
      pages: 1,
    }),
    "data.records.1.userId: not declared in the route's data schema",
  );
});

// A handler whose result does not fit its route's `data` schema does not type-check: each
// expected-error directive below fails `deno check` (and this test file) if the mismatch were
// accepted.
Deno.test("defineRoute: the data schema types the handler's result", () => {
  const ok = defineRoute({
    summary: "fits",
    auth: "public",
    data: z.array(Row),
    handler: () =>
      Promise.resolve([{ id: 1, at }, { id: 2, at: "2026-12-01T11:30:00Z", note: "n" }]),
  });
  const nothing = defineRoute({
    summary: "fits",
    auth: "public",
    data: z.null(),
    handler: () => {},
  });
  const wrongType = defineRoute({
    summary: "wrong",
    auth: "public",
    data: Row,
    // @ts-expect-error id must be a number
    handler: () => ({ id: "1", at }),
  });
  const missing = defineRoute({
    summary: "wrong",
    auth: "public",
    data: Row,
    // @ts-expect-error id is missing
    handler: () => Promise.resolve({ at }),
  });
  const dateAsText = defineRoute({
    summary: "wrong",
    auth: "public",
    data: z.object({ name: z.string() }),
    // @ts-expect-error a Date only where the schema says TimeOut
    handler: () => ({ name: at }),
  });
  const notNull = defineRoute({
    summary: "wrong",
    auth: "public",
    data: z.literal(true),
    // @ts-expect-error the reply is `true`, not nothing
    handler: () => {},
  });
  for (const r of [ok, nothing, wrongType, missing, dateAsText, notNull]) {
    assert.equal(r.kind, "json");
  }
});

// How lib/ declares a record it returns for a reply: the schema, and the type derived from it.
const OrderView = z.object({
  orderNo: z.string(),
  createTime: TimeOut,
  payTime: TimeOut.nullable(),
});
type OrderView = ShapeOf<typeof OrderView>;

Deno.test("ShapeOf: a domain's return type derived from the reply schema", () => {
  const view: OrderView = { orderNo: "1", createTime: at, payTime: null };
  // @ts-expect-error createTime is required by the schema
  const partial: OrderView = { orderNo: "1", payTime: null };
  const route = defineRoute({
    summary: "from lib",
    auth: "public",
    data: OrderView,
    handler: (): Promise<OrderView> => Promise.resolve(view),
  });
  assert.equal(check(route.data, view), undefined);
  assert.match(check(route.data, partial) ?? "", /^data\.createTime: /);
});
