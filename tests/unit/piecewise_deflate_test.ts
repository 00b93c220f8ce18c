// A reply compressed piece by piece inflates to the pieces' concatenation (http/piecewise_deflate.ts).
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { adler32, adler32Combine, deflatePieces } from "#http/piecewise_deflate.ts";
import { concat as jsonConcat, JsonJoin } from "#lib/platform/json_text.ts";

const encoder = new TextEncoder();
const concat = (pieces: Uint8Array[]) => {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

Deno.test("piecewise deflate: stitched pieces inflate to the whole, cached pieces reused", () => {
  const seat = (i: number) => `{"id":${i},"seatCode":"座${i}","status":${i % 3}}`;
  const blocks = Array.from(
    { length: 40 },
    (_, b) => encoder.encode(Array.from({ length: 64 }, (_, i) => seat(b * 64 + i)).join(",")),
  );
  const head = encoder.encode(`{"seats":[`);
  const tail = encoder.encode("]}");
  const comma = encoder.encode(",");
  const pieces = [head, ...blocks.flatMap((b, i) => i ? [comma, b] : [b]), tail];
  const whole = concat(pieces);
  const first = deflatePieces(pieces);
  assert.deepEqual(new Uint8Array(inflateSync(first)), whole);
  assert.ok(first.length < whole.length / 4, `${first.length} of ${whole.length} bytes`);
  // One block changed: the others come from the cache, and the result is still right.
  blocks[7] = encoder.encode(Array.from({ length: 64 }, (_, i) => seat(i + 9999)).join(","));
  const again = [head, ...blocks.flatMap((b, i) => i ? [comma, b] : [b]), tail];
  assert.deepEqual(new Uint8Array(inflateSync(deflatePieces(again))), concat(again));
  assert.deepEqual(new Uint8Array(inflateSync(deflatePieces([]))), new Uint8Array(0));
});

Deno.test("adler32Combine: the checksum of A then B from theirs", () => {
  const a = encoder.encode("x".repeat(70_000));
  const b = encoder.encode("hello, 世界 ".repeat(9000));
  assert.equal(adler32Combine(adler32(a), adler32(b), b.length), adler32(concat([a, b])));
  assert.equal(adler32(encoder.encode("Wikipedia")), 0x11e60398);
});

Deno.test("piecewise deflate: values joined by commas compress and copy as their joined bytes", () => {
  const values = (from: number) =>
    Array.from({ length: 64 }, (_, i) => encoder.encode(`{"id":${from + i},"s":"座"}`));
  const blocks = [new JsonJoin(values(0)), new JsonJoin(values(64)), new JsonJoin([])];
  const joined = (b: JsonJoin) =>
    encoder.encode(b.items.map((v) => new TextDecoder().decode(v)).join(","));
  for (const b of blocks) assert.equal(b.length, joined(b).length);
  const head = encoder.encode("[");
  const pieces = [head, blocks[0], encoder.encode(","), blocks[1], blocks[2], encoder.encode("]")];
  const whole = concat([
    head,
    joined(blocks[0]),
    encoder.encode(","),
    joined(blocks[1]),
    encoder.encode("]"),
  ]);
  assert.deepEqual(jsonConcat(pieces), whole);
  assert.deepEqual(new Uint8Array(inflateSync(deflatePieces(pieces))), whole);
  // Compressed again from the cache (the scratch buffer has held other bytes since): the same.
  deflatePieces([new JsonJoin(values(500))]);
  assert.deepEqual(new Uint8Array(inflateSync(deflatePieces(pieces))), whole);
  assert.equal(JSON.parse(new TextDecoder().decode(whole)).length, 128);
});
