import assert from "node:assert/strict";
import { suite } from "./support/env.ts";

suite("HTTP skeleton", async (t, env) => {
  await t.step("an unknown route is 404 in the envelope", async () => {
    const res = await env.call("GET", "/api/nothing/here");
    assert.equal(res.status, 404);
    assert.deepEqual(
      {
        code: res.body.code,
        success: res.body.success,
        data: res.body.data,
        error: res.body.error,
      },
      { code: 404, success: false, data: null, error: "NOT_FOUND" },
    );
  });

  await t.step("success replies carry code 200 and success true", async () => {
    const res = await env.call("GET", "/api/health");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      code: 200,
      message: "success",
      data: { status: "UP" },
      success: true,
    });
  });

  await t.step("X-Trace-Id is echoed when given and generated when not", async () => {
    const given = await env.call("GET", "/api/health", { headers: { "x-trace-id": "abc-123" } });
    assert.equal(given.headers.get("x-trace-id"), "abc-123");
    const made = await env.call("GET", "/api/health");
    assert.match(made.headers.get("x-trace-id") ?? "", /^[0-9a-f]{32}$/);
    const bad = await env.call("GET", "/api/health", { headers: { "x-trace-id": "a b\tc" } });
    assert.match(bad.headers.get("x-trace-id") ?? "", /^[0-9a-f]{32}$/);
  });

  await t.step("malformed JSON is 400 naming the body", async () => {
    const res = await env.call("POST", "/api/user/login", {
      rawBody: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "VALIDATION_FAILED");
    assert.match(res.body.message, /^body: malformed JSON/);
  });

  await t.step("a non-JSON content type is 400", async () => {
    const res = await env.call("POST", "/api/user/login", {
      rawBody: "username=a&password=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /Content-Type must be application\/json/);
  });

  await t.step("an empty body is no body, whatever its Content-Type", async () => {
    const res = await env.call("POST", "/api/user/login", {
      rawBody: "",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.message, "body: a JSON body is required");
  });

  await t.step("a body over the limit is 413, announced or chunked", async () => {
    const big = JSON.stringify({ username: "x".repeat(env.config.bodyLimitBytes), password: "y" });
    const res = await env.call("POST", "/api/user/login", {
      rawBody: big,
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error, "PAYLOAD_TOO_LARGE");
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = await env.app.request("/api/user/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
    });
    assert.equal(chunked.status, 413);
    assert.equal((await chunked.json()).error, "PAYLOAD_TOO_LARGE");
  });

  await t.step("a wrong type names the field", async () => {
    const res = await env.call("POST", "/api/user/login", { body: { username: 5, password: "x" } });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /^username: expected string/);
  });

  await t.step("/openapi.json documents every route of the manifest", async () => {
    const res = await env.app.request("/openapi.json");
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.openapi, "3.1.0");
    const { routes } = await import("../routes.gen.ts");
    for (const r of routes) {
      assert.ok(doc.paths[r.path], `missing ${r.path} in the OpenAPI document`);
      for (const method of Object.keys(r.module)) {
        assert.ok(doc.paths[r.path][method.toLowerCase()], `missing ${method} ${r.path}`);
      }
    }
    assert.ok(doc.paths["/api/user/login"].post.requestBody);
  });

  await t.step("/docs is served with its own assets, no CDN", async () => {
    const page = await env.app.request("/docs");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//);
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const asset = await env.app.request(src[1]);
      assert.equal(asset.status, 200, src[1]);
      assert.ok((await asset.text()).length > 10);
    }
    const missing = await env.app.request("/docs/evil.js");
    assert.equal(missing.status, 404);
  });

  await t.step("/api/ready reports every dependency", async () => {
    const res = await env.call<{ checks: Record<string, string> }>("GET", "/api/ready");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data.checks, {
      redis: "ok",
      database: "ok",
      migrations: "ok",
      scripts: "ok",
    });
  });

  await t.step("CORS preflight is answered without a token for allowed origins", async () => {
    const res = await env.app.request("/api/order/create", {
      method: "OPTIONS",
      headers: {
        origin: "https://shop.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://shop.example");
    assert.match(res.headers.get("access-control-allow-headers") ?? "", /Authorization/i);
    const other = await env.app.request("/api/health", {
      headers: { origin: "https://evil.example" },
    });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  await t.step(
    "every reply has its trace id and CORS headers: errors, 404s, preflights",
    async () => {
      const cases: [string, string, number, Record<string, string>?][] = [
        ["GET", "/api/health", 200],
        ["GET", "/api/nothing/here", 404],
        ["OPTIONS", "/api/nothing/here", 204],
        ["GET", "/api/order/list", 401], // thrown by the route's authentication
        ["GET", "/api/order/list", 401, { authorization: "Bearer forged" }],
        ["POST", "/api/user/login", 400, { "content-type": "text/plain" }], // refused input
        ["POST", "/api/user/login", 413, { "content-length": "99999999" }], // refused before the route
      ];
      for (const [method, path, status, more] of cases) {
        const traceId = `case-${method}-${status}`;
        const res = await env.app.request(path, {
          method,
          headers: { origin: "https://shop.example", "x-trace-id": traceId, ...more },
          body: method === "POST" ? "x" : undefined,
        });
        await res.body?.cancel();
        const what = `${method} ${path} ${JSON.stringify(more ?? {})}`;
        assert.equal(res.status, status, what);
        assert.equal(res.headers.get("x-trace-id"), traceId, what);
        assert.equal(res.headers.get("access-control-allow-origin"), "https://shop.example", what);
      }
    },
  );
}, { CORS_ORIGINS: "https://shop.example" });

suite("HTTP: demo CORS lets local web clients in", async (t, env) => {
  await t.step("any localhost origin", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:8080"]) {
      const res = await env.app.request("/api/health", { headers: { origin } });
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
    }
    const res = await env.app.request("/api/health", {
      headers: { origin: "http://evil.example" },
    });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });
}, { DEMO: "true" });
