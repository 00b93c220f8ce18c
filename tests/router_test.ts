// The app's router (http/router.ts): the trie's matches, with a static path's match made once.
// No store (it loads the manifest, whose routes import the stores' modules: not a unit test).
import assert from "node:assert/strict";
import { type Result, TrieRouter } from "#deps";
import { StaticMatchRouter } from "#http/router.ts";
import { routes } from "../routes.gen.ts";

const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

/** Both routers with the app's shape: one "*" middleware, then every route of the manifest. */
function routers() {
  const cached = new StaticMatchRouter<string>();
  const trie = new TrieRouter<string>();
  for (const r of [cached, trie]) {
    r.add("ALL", "/*", "middleware");
    for (const entry of routes) {
      for (const method of ["GET", "POST", "PUT", "DELETE"] as const) {
        if (entry.module[method]) r.add(method, honoPath(entry.path), `${method} ${entry.path}`);
      }
    }
  }
  return { cached, trie };
}

const handlers = (r: Result<string>) => r[0].map(([h]) => h);

Deno.test("StaticMatchRouter: every manifest path and a few others match as the trie does", () => {
  const { cached, trie } = routers();
  const paths = [
    ...routes.map((e) => e.path.replace(/\{\w+\}/g, "42")),
    "/api/order/list",
    "/api/order/20261126120000123456001",
    "/api/health/",
    "/nowhere",
  ];
  for (const method of ["GET", "POST", "PUT", "DELETE", "OPTIONS", "BREW"]) {
    for (const path of paths) {
      // Twice: the second answer of a static path comes from the cache.
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(cached.match(method, path), trie.match(method, path), `${method} ${path}`);
      }
    }
  }
});

Deno.test("StaticMatchRouter: a static path's match is made once, a parameter path's each time", () => {
  const { cached } = routers();
  const create = cached.match("POST", "/api/order/create");
  assert.deepEqual(handlers(create), ["middleware", "POST /api/order/create"]);
  assert.equal(cached.match("POST", "/api/order/create"), create);
  // /api/order/list is also /api/order/{orderNoOrId} with orderNoOrId "list": both, in order.
  assert.deepEqual(handlers(cached.match("GET", "/api/order/list")), [
    "middleware",
    "GET /api/order/{orderNoOrId}",
    "GET /api/order/list",
  ]);
  const detail = cached.match("GET", "/api/order/detail/7");
  assert.notEqual(cached.match("GET", "/api/order/detail/7"), detail);
  // A method no route has is not kept (a client's made-up method must not grow the cache).
  assert.notEqual(cached.match("BREW", "/api/health"), cached.match("BREW", "/api/health"));
});

Deno.test("StaticMatchRouter: a route added after a match is part of the next match", () => {
  const r = new StaticMatchRouter<string>();
  r.add("GET", "/a/b", "static");
  assert.deepEqual(handlers(r.match("GET", "/a/b")), ["static"]);
  r.add("GET", "/a/:x", "param");
  assert.deepEqual(handlers(r.match("GET", "/a/b")).sort(), ["param", "static"]);
});
