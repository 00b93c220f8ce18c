// Which Accept-Encoding headers take the shared layout's gzip (http/envelope.ts). No store.
import assert from "node:assert/strict";
import { acceptsGzip } from "#http/envelope.ts";

Deno.test("acceptsGzip: gzip or * unless refused with q=0", () => {
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip(""), false);
  assert.equal(acceptsGzip("gzip"), true);
  assert.equal(acceptsGzip("gzip, deflate, br"), true);
  assert.equal(acceptsGzip("br;q=1.0, GZIP;q=0.5"), true);
  assert.equal(acceptsGzip("*"), true);
  assert.equal(acceptsGzip("identity"), false);
  assert.equal(acceptsGzip("deflate, br"), false);
  assert.equal(acceptsGzip("gzip;q=0"), false);
  assert.equal(acceptsGzip("gzip; q=0.000"), false);
});
