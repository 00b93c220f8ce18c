import assert from "node:assert/strict";
import { SignJWT } from "#deps";
import { suite, TEST_JWT_SECRET, TEST_PASSWORD } from "./support/env.ts";

const b64url = (o: unknown) =>
  btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

suite("users: register, login, profile, password, logout", async (t, env) => {
  await t.step("register returns the new id; the name is then taken (409)", async () => {
    const body = { username: "alice_1", password: "pa55word", phone: "13912345678" };
    const res = await env.call<{ userId: number; username: string }>("POST", "/api/user/register", {
      body,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.username, "alice_1");
    assert.ok(res.body.data.userId > 0);
    const again = await env.call("POST", "/api/user/register", {
      body: { ...body, username: "ALICE_1" },
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, "USERNAME_TAKEN");
  });

  await t.step("register refuses bad fields, naming each, and writes nothing", async () => {
    const good = { username: "bob_22", password: "pa55word", phone: "13912345678" };
    for (
      const [patch, field] of [
        [{ username: "ab" }, "username"],
        [{ username: "bad name!" }, "username"],
        [{ username: "x".repeat(33) }, "username"],
        [{ password: "12345" }, "password"],
        [{ password: "x".repeat(73) }, "password"],
        [{ phone: "12345678901" }, "phone"],
        [{ phone: 13912345678 }, "phone"],
        [{ email: "not-an-email" }, "email"],
        [{ username: undefined }, "username"],
      ] as const
    ) {
      const res = await env.call("POST", "/api/user/register", { body: { ...good, ...patch } });
      assert.equal(res.status, 400, JSON.stringify(patch));
      assert.ok(res.body.message.startsWith(`${field}:`), res.body.message);
    }
    const [{ n }] = await env.ctx.db.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM users WHERE username = 'bob_22'",
    );
    assert.equal(Number(n), 0);
  });

  let token = "";
  await t.step("login gives a token that works; profile reads and updates", async () => {
    const res = await env.call<{ token: string; userId: number; expiresIn: number }>(
      "POST",
      "/api/user/login",
      { body: { username: "alice_1", password: "pa55word" } },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.expiresIn, env.config.jwtTtlSeconds);
    token = res.body.data.token;
    const info = await env.call<Record<string, unknown>>("GET", "/api/user/info", { token });
    assert.equal(info.status, 200);
    assert.deepEqual(info.body.data, {
      id: res.body.data.userId,
      username: "alice_1",
      nickname: "alice_1",
      phone: "13912345678",
      email: null,
      role: "user",
    });
    const put = await env.call("PUT", "/api/user/info", {
      token,
      body: { nickname: "Alice", email: "a@example.com", userId: 1, role: "admin" },
    });
    assert.equal(put.status, 200);
    const after = await env.call<Record<string, unknown>>("GET", "/api/user/info", { token });
    assert.equal(after.body.data.nickname, "Alice");
    assert.equal(after.body.data.email, "a@example.com");
    assert.equal(after.body.data.role, "user");
  });

  await t.step("unknown user and wrong password get the same 401", async () => {
    const wrong = await env.call("POST", "/api/user/login", {
      body: { username: "alice_1", password: "nope-nope" },
      headers: { "x-forwarded-for": "10.0.0.1" },
    });
    const unknown = await env.call("POST", "/api/user/login", {
      body: { username: "nobody_here", password: "nope-nope" },
      headers: { "x-forwarded-for": "10.0.0.1" },
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body.message, unknown.body.message);
  });

  await t.step("a password change revokes the caller's other tokens, not this one", async () => {
    const other = (await env.call<{ token: string }>("POST", "/api/user/login", {
      body: { username: "alice_1", password: "pa55word" },
    })).body.data.token;
    const wrongOld = await env.call("PUT", "/api/user/password", {
      token,
      body: { oldPassword: "not-it", newPassword: "n3wpassword" },
    });
    assert.equal(wrongOld.status, 400);
    assert.match(wrongOld.body.message, /^oldPassword:/);
    const ok = await env.call("PUT", "/api/user/password", {
      token,
      body: { oldPassword: "pa55word", newPassword: "n3wpassword" },
    });
    assert.equal(ok.status, 200);
    assert.equal((await env.call("GET", "/api/user/info", { token })).status, 200);
    const refused = await env.call("GET", "/api/user/info", { token: other });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.message, "token revoked");
    const oldLogin = await env.call("POST", "/api/user/login", {
      body: { username: "alice_1", password: "pa55word" },
      headers: { "x-forwarded-for": "10.0.0.2" },
    });
    assert.equal(oldLogin.status, 401);
    const newLogin = await env.call("POST", "/api/user/login", {
      body: { username: "alice_1", password: "n3wpassword" },
    });
    assert.equal(newLogin.status, 200);
  });

  await t.step(
    "logout: the token is refused from then on, also after Redis lost memory",
    async () => {
      assert.equal((await env.call("POST", "/api/user/logout", { token })).status, 200);
      const after = await env.call("GET", "/api/user/info", { token });
      assert.equal(after.status, 401);
      assert.equal(after.body.error, "UNAUTHORIZED");
      // Redis comes back empty: the revocation is rebuilt from MySQL.
      await env.ctx.redis.deleteByPrefix(env.config.redisPrefix);
      assert.equal((await env.call("GET", "/api/user/info", { token })).status, 401);
    },
  );
}, { TRUST_PROXY: "true" });

suite("auth: every kind of bad token is 401; buyers on admin routes 403", async (t, env) => {
  const buyer = await env.user();
  const [header, payload] = buyer.token.split(".");
  const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));

  const cases: [string, Record<string, string>][] = [
    ["missing", {}],
    ["not Bearer", { authorization: `Token ${buyer.token}` }],
    ["garbage", { authorization: "Bearer not.a.jwt" }],
    ["bad signature", { authorization: `Bearer ${header}.${payload}.AAAA` }],
    [
      "alg none",
      { authorization: `Bearer ${b64url({ alg: "none", typ: "JWT" })}.${payload}.` },
    ],
    [
      "another secret",
      {
        authorization: `Bearer ${await new SignJWT({ ...claims, role: "admin" })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode("x".repeat(40)))}`,
      },
    ],
    [
      "expired",
      {
        authorization: `Bearer ${await new SignJWT({
          ...claims,
          exp: Math.floor(Date.now() / 1000) - 10,
        })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      },
    ],
    [
      "HS512 with the right secret",
      {
        authorization: `Bearer ${await new SignJWT(claims)
          .setProtectedHeader({ alg: "HS512" })
          .sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      },
    ],
    [
      "no subject",
      {
        authorization: `Bearer ${await new SignJWT({ ...claims, sub: undefined })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      },
    ],
  ];
  for (const [name, headers] of cases) {
    await t.step(`${name} → 401`, async () => {
      const res = await env.call("GET", "/api/user/info", { headers });
      assert.equal(res.status, 401);
      assert.equal(res.body.error, "UNAUTHORIZED");
      assert.equal(res.body.success, false);
    });
  }

  await t.step("expired says so", async () => {
    const res = await env.call("GET", "/api/user/info", { headers: cases[6][1] });
    assert.equal(res.body.message, "token expired");
  });

  await t.step("a buyer on an admin route → 403, nothing created", async () => {
    const res = await env.call("POST", "/api/show", {
      token: buyer.token,
      body: {
        name: "x",
        type: 1,
        venue: "v",
        city: "c",
        startTime: "2030-01-01 10:00:00",
        endTime: "2030-01-01 12:00:00",
      },
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.error, "FORBIDDEN");
    const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM shows");
    assert.equal(Number(n), 0);
  });

  await t.step("without a token an admin route is 401, not 403", async () => {
    assert.equal((await env.call("GET", "/api/ticket/stock/all")).status, 401);
  });

  await t.step("X-User-Id and X-Username headers are ignored", async () => {
    const other = await env.user();
    const res = await env.call<{ id: number }>("GET", "/api/user/info", {
      token: buyer.token,
      headers: { "x-user-id": String(other.id), "x-username": other.username },
    });
    assert.equal(res.body.data.id, buyer.id);
  });
});

suite("login throttling: per username and per address, 429 with Retry-After", async (t, env) => {
  const victim = await env.user();

  await t.step(
    "after the limit of failures for a username even the right password waits",
    async () => {
      for (let i = 0; i < 3; i++) {
        const res = await env.call("POST", "/api/user/login", {
          body: { username: victim.username, password: "wrong-one" },
          headers: { "x-forwarded-for": `10.1.0.${i}` },
        });
        assert.equal(res.status, 401);
      }
      const res = await env.call("POST", "/api/user/login", {
        body: { username: victim.username, password: TEST_PASSWORD },
        headers: { "x-forwarded-for": "10.1.0.99" },
      });
      assert.equal(res.status, 429);
      assert.equal(res.body.error, "RATE_LIMITED");
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    },
  );

  await t.step("one address failing on many usernames is throttled too", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await env.call("POST", "/api/user/login", {
        body: { username: `someone_${i}`, password: "wrong-one" },
        headers: { "x-forwarded-for": "10.2.0.1" },
      });
      assert.equal(res.status, 401);
    }
    const other = await env.user();
    const res = await env.call("POST", "/api/user/login", {
      body: { username: other.username, password: TEST_PASSWORD },
      headers: { "x-forwarded-for": "10.2.0.1" },
    });
    assert.equal(res.status, 429);
    const elsewhere = await env.call("POST", "/api/user/login", {
      body: { username: other.username, password: TEST_PASSWORD },
      headers: { "x-forwarded-for": "10.2.0.2" },
    });
    assert.equal(elsewhere.status, 200);
  });

  await t.step("a success clears the username's failures", async () => {
    const u = await env.user();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) {
        await env.call("POST", "/api/user/login", {
          body: { username: u.username, password: "wrong-one" },
          headers: { "x-forwarded-for": `10.3.${round}.${i}` },
        });
      }
      const ok = await env.call("POST", "/api/user/login", {
        body: { username: u.username, password: TEST_PASSWORD },
        headers: { "x-forwarded-for": `10.3.${round}.9` },
      });
      assert.equal(ok.status, 200);
    }
  });
}, { TRUST_PROXY: "true", LOGIN_MAX_FAILURES: "3", LOGIN_MAX_FAILURES_PER_IP: "5" });
