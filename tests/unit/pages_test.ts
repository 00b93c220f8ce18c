import assert from "node:assert/strict";
import { containsPattern, limitOffset, pageOf } from "#lib/platform/pages.ts";

Deno.test("pages: page shape, pages rounded up", () => {
  assert.deepEqual(pageOf(["a", "b"], 12, { page: 2, size: 10 }), {
    records: ["a", "b"],
    total: 12,
    size: 10,
    current: 2,
    pages: 2,
  });
  assert.equal(pageOf([], 0, { page: 1, size: 10 }).pages, 0);
  assert.equal(pageOf([], 10, { page: 1, size: 10 }).pages, 1);
  assert.equal(pageOf([], 11, { page: 1, size: 10 }).pages, 2);
});

Deno.test("pages: LIMIT and OFFSET count pages from 1", () => {
  assert.deepEqual(limitOffset({ page: 1, size: 10 }), [10, 0]);
  assert.deepEqual(limitOffset({ page: 3, size: 25 }), [25, 50]);
});

Deno.test("pages: a LIKE pattern matches its text literally", () => {
  assert.equal(containsPattern("rock"), "%rock%");
  assert.equal(containsPattern("100%_off\\"), "%100\\%\\_off\\\\%");
  assert.equal(containsPattern(""), "%%");
});
