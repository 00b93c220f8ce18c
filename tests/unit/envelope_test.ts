import assert from "node:assert/strict";
import { gunzipSync, inflateSync } from "node:zlib";
import {
  errorBody,
  errorResponse,
  successBody,
  successBytes,
  successDeflate,
  successGzip,
} from "#http/envelope.ts";
import { AppError, invalid, notFound, unavailable } from "#lib/platform/errors.ts";
import { JsonText } from "#lib/platform/json_text.ts";
import { markShared } from "#lib/platform/shared_values.ts";

Deno.test("envelope: success wraps data, null for nothing", () => {
  assert.deepEqual(JSON.parse(successBody({ a: 1 }, "UTC")), {
    code: 200,
    message: "success",
    data: { a: 1 },
    success: true,
  });
  assert.equal(JSON.parse(successBody(undefined, "UTC")).data, null);
  assert.equal(JSON.parse(successBody(null, "UTC")).data, null);
  assert.equal(JSON.parse(successBody(0, "UTC")).data, 0);
  assert.equal(JSON.parse(successBody("", "UTC")).data, "");
  assert.equal(JSON.parse(successBody(false, "UTC")).data, false);
});

Deno.test("envelope: Dates anywhere in data are written in the service's zone", () => {
  const at = new Date("2026-12-01T11:30:00.700Z");
  const record = { id: 1, at, nested: { list: [at, null, { at }] }, none: null };
  const body = JSON.parse(successBody([record, record], "Asia/Shanghai"));
  const want = "2026-12-01T19:30:00+08:00";
  assert.deepEqual(body.data[1], {
    id: 1,
    at: want,
    nested: { list: [want, null, { at: want }] },
    none: null,
  });
  assert.equal(JSON.parse(successBody(at, "UTC")).data, "2026-12-01T11:30:00Z");
  // The handler's values are not changed in place.
  assert.equal(record.at, at);
  assert.equal(record.nested.list[0], at);
});

Deno.test("envelope: JsonText is spliced in as it is", () => {
  const body = successBody(new JsonText('{"seats":[1,2]}'), "UTC");
  assert.equal(body, '{"code":200,"message":"success","data":{"seats":[1,2]},"success":true}');
});

Deno.test("envelope: an error carries status, code and detail, never a cause", () => {
  const e = invalid("quantity", "must be at least 1");
  assert.deepEqual(JSON.parse(errorBody(e)), {
    code: 400,
    message: "quantity: must be at least 1",
    data: null,
    success: false,
    error: "VALIDATION_FAILED",
    detail: { field: "quantity" },
  });
  const plain = JSON.parse(errorBody(notFound("order 7")));
  assert.deepEqual(plain, {
    code: 404,
    message: "order 7 not found",
    data: null,
    success: false,
    error: "NOT_FOUND",
  });
  const down = unavailable("the database", new Error("ECONNREFUSED 10.0.0.1"));
  assert.ok(!errorBody(down).includes("ECONNREFUSED"));
});

Deno.test("envelope: errorResponse sets status, JSON type, Retry-After and extra headers", async () => {
  const res = errorResponse(unavailable("redis", undefined, 3), { "x-trace-id": "t1" });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("retry-after"), "3");
  assert.equal(res.headers.get("x-trace-id"), "t1");
  assert.equal((await res.json()).error, "UNAVAILABLE");
  const conflict = errorResponse(new AppError("SOLD_OUT", "tier 7 is sold out"));
  assert.equal(conflict.status, 409);
  assert.equal(conflict.headers.get("retry-after"), null);
  await conflict.body?.cancel();
});

Deno.test("a shared value's envelope is written once; others every time", () => {
  const page = markShared({ items: [{ id: 1, at: new Date("2026-01-02T03:04:05Z") }], total: 1 });
  const first = successBody(page, "Asia/Shanghai");
  assert.equal(first, successBody(page, "Asia/Shanghai"));
  // Against the contract (shared values never change), to show the text is not written again.
  page.total = 2;
  assert.equal(successBody(page, "Asia/Shanghai"), first);
  // Another zone is another text.
  assert.match(successBody(page, "UTC"), /"total":2/);

  const fresh = { total: 1 };
  successBody(fresh, "UTC");
  fresh.total = 2;
  assert.match(successBody(fresh, "UTC"), /"total":2/);
});

const encoder = new TextEncoder();

Deno.test("envelope bytes: made once per JsonText, each compression its own size", () => {
  const blocks = Array.from(
    { length: 8 },
    (_, b) =>
      encoder.encode(Array.from({ length: 64 }, (_, i) => `{"id":${b * 64 + i}}`).join(",")),
  );
  const chunks = [
    encoder.encode("["),
    ...blocks.flatMap((b, i) => i ? [encoder.encode(","), b] : [b]),
  ];
  chunks.push(encoder.encode("]"));
  const text = new JsonText(chunks, true);
  const plain = successBytes(text);
  assert.equal(JSON.parse(new TextDecoder().decode(plain)).data.length, 512);
  assert.deepEqual(new Uint8Array(inflateSync(successDeflate(text))), plain);
  assert.deepEqual(new Uint8Array(gunzipSync(successGzip(text))), plain);
  // Asked again: the same bytes, not made again.
  assert.equal(successBytes(text), plain);
  assert.equal(successDeflate(text), successDeflate(text));
  assert.equal(successGzip(text), successGzip(text));
  // A compression kept for the JsonText's life holds its own bytes, not a view of node:zlib's
  // larger output buffer.
  for (const bytes of [successDeflate(text), successGzip(text)]) {
    assert.equal(bytes.buffer.byteLength, bytes.length);
  }
  // Another JsonText of the same JSON: made for it.
  const other = new JsonText(chunks, true);
  assert.notEqual(successDeflate(other), successDeflate(text));
  assert.deepEqual(successDeflate(other), successDeflate(text));
});
