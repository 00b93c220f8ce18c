import assert from "node:assert/strict";
import { mysql } from "#deps";
import { audit } from "#lib/ops/audit.ts";
import { legacyKind, verifyLegacyPassword } from "#lib/accounts/legacy_passwords.ts";
import { connectionOptions } from "#lib/platform/db.ts";
import { suite, testStores } from "./support/env.ts";
import { loadReferenceDb } from "./support/reference_db.ts";

const root = new URL("..", import.meta.url).pathname;

// ---------------------------------------------------------------- pure rules (no store)
// (the plan's rules are in tests/unit/import_plan_test.ts)

Deno.test("legacy passwords: BCrypt and unsalted MD5 verify; others never do", async () => {
  const md5 = "e10adc3949ba59abbe56e057f20f883e"; // "123456", as in the reference's seed
  assert.equal(legacyKind(md5), "md5");
  assert.equal(await verifyLegacyPassword("123456", md5), true);
  assert.equal(await verifyLegacyPassword("1234567", md5), false);
  // A test vector of jBCrypt (the BCrypt of Spring Security): "abc" at cost 6.
  const bcrypt = "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i";
  assert.equal(legacyKind(bcrypt), "bcrypt");
  assert.equal(await verifyLegacyPassword("abc", bcrypt), true);
  assert.equal(await verifyLegacyPassword("abd", bcrypt), false);
  assert.equal(legacyKind(`{bcrypt}${bcrypt}`), "bcrypt");
  assert.equal(await verifyLegacyPassword("abc", `{bcrypt}${bcrypt}`), true);
  assert.equal(legacyKind(`!${md5}`), null);
  assert.equal(await verifyLegacyPassword("123456", `!${md5}`), false);
  assert.equal(legacyKind("scrypt$32768$8$1$abc$def"), null);
});

// ---------------------------------------------------------------- the reference's own data

interface Run {
  code: number;
  report: Record<string, unknown> & {
    ok: boolean;
    counts: Record<string, { added: number; existing: number; refused: number; linked: number }>;
    unmapped: { kind: string; source: string; reason: string }[];
    sessionsInvalidated: number[];
  };
  stderr: string;
}

async function runImport(env: Record<string, string>, args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}tools/import.ts`, ...args],
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  return {
    code: out.code,
    report: stdout.trim() ? JSON.parse(stdout) : undefined,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function checksums(url: string, databases: string[]): Promise<string> {
  const conn = await mysql.createConnection(connectionOptions(new URL("/", url).toString(), false));
  try {
    const out: string[] = [];
    for (const db of databases) {
      const [tables] = await conn.query(`SHOW TABLES FROM \`${db}\``);
      for (const t of tables as Record<string, string>[]) {
        const name = Object.values(t)[0];
        const [rows] = await conn.query(`CHECKSUM TABLE \`${db}\`.\`${name}\``);
        out.push(JSON.stringify(rows));
      }
    }
    return out.join("\n");
  } finally {
    await conn.end();
  }
}

suite(
  "import: the reference's schema and seed rows, twice, then its users log in",
  async (t, env) => {
    const { databaseUrl: server } = await testStores();
    const source = await loadReferenceDb(server);
    const childEnv = {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.config.redisPrefix,
      SOURCE_TIME_ZONE: "UTC",
    };
    const count = async (table: string) =>
      Number((await env.ctx.db.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    try {
      const before = await checksums(server, source.databases);

      await t.step("--dry-run says what it would add and writes nothing", async () => {
        const run = await runImport(childEnv, ["--from", source.url, "--dry-run"]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.report.dryRun, true);
        assert.equal(run.report.counts.user.added, 4);
        assert.equal(run.report.counts.show.added, 5);
        assert.equal(run.report.counts.session.added, 9);
        assert.equal(run.report.counts.tier.added, 16);
        assert.equal(run.report.counts.area.added, 3);
        assert.equal(run.report.counts.order.added, 3);
        assert.equal(await count("users"), 0);
        assert.equal(await count("shows"), 0);
        assert.equal(await count("import_map"), 0);
      });

      await t.step("part of the source, then the full one (resumes), maps every row", async () => {
        const partial = new URL(source.url);
        partial.pathname = `/${source.databases.slice(0, 3).join(",")}`; // no order database
        const first = await runImport(childEnv, ["--from", partial.toString()]);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.report.counts.user.added, 4);
        assert.equal(first.report.counts.order.added, 0);
        assert.equal(await count("orders"), 0);
        const run = await runImport(childEnv, ["--from", source.url]);
        assert.equal(run.code, 0, run.stderr + JSON.stringify(run.report?.unmapped));
        assert.equal(run.report.ok, true);
        assert.deepEqual(run.report.unmapped, []);
        assert.equal(run.report.counts.user.existing, 4);
        assert.equal(run.report.counts.order.added, 3);
        assert.equal(await count("users"), 4);
        assert.equal(await count("shows"), 5);
        assert.equal(await count("sessions"), 9);
        assert.equal(await count("tickets"), 16);
        assert.equal(await count("seat_areas"), 3);
        assert.equal(await count("seats"), 90);
        assert.equal(await count("orders"), 3);
        assert.ok(run.report.sessionsInvalidated.length > 0);
      });

      await t.step("the source is unchanged", async () => {
        assert.equal(await checksums(server, source.databases), before);
      });

      await t.step(
        "an imported user logs in with the old password, once MD5, then scrypt",
        async () => {
          const report = await env.admin().then((a) =>
            env.call<{ legacy: number; md5: number }>("GET", "/api/admin/legacy-passwords", {
              token: a.token,
            })
          );
          assert.equal(report.status, 200);
          assert.equal(report.body.data.md5, 4);
          const login = await env.call<{ token: string; userId: number }>(
            "POST",
            "/api/user/login",
            {
              body: { username: "testuser1", password: "123456" },
            },
          );
          assert.equal(login.status, 200, JSON.stringify(login.body));
          const [{ password_hash }] = await env.ctx.db.rows<{ password_hash: string }>(
            "SELECT password_hash FROM users WHERE username = 'testuser1'",
          );
          assert.match(password_hash, /^scrypt\$/);
          const again = await env.call("POST", "/api/user/login", {
            body: { username: "testuser1", password: "123456" },
          });
          assert.equal(again.status, 200);
          const wrong = await env.call("POST", "/api/user/login", {
            body: { username: "testuser2", password: "1234567" },
          });
          assert.equal(wrong.status, 401);
          const admin = await env.call<{ token: string }>("POST", "/api/user/login", {
            body: { username: "admin", password: "123456" },
          });
          assert.equal(admin.status, 200);
          const after = await env.call<{ legacy: number; md5: number }>(
            "GET",
            "/api/admin/legacy-passwords",
            { token: admin.body.data.token },
          );
          assert.equal(after.status, 200, "the reference's admin is an admin here");
          assert.equal(after.body.data.md5, 2);

          // Their order, as they left it.
          const orders = await env.call<{ records: { orderNo: string; status: number }[] }>(
            "GET",
            "/api/order/user/page",
            { token: login.body.data.token },
          );
          assert.deepEqual(orders.body.data.records.map((o) => [o.orderNo, o.status]), [[
            "ORD202412010001",
            0,
          ]]);
        },
      );

      await t.step("its shows, tiers and stock are there", async () => {
        const list = await env.call<{ records: { id: number; name: string }[]; total: number }>(
          "GET",
          "/api/show/list?size=20",
        );
        assert.equal(list.status, 200);
        assert.equal(list.body.data.total, 5);
        const concert = list.body.data.records.find((s) => s.name === "2024新年音乐会");
        assert.ok(concert, JSON.stringify(list.body.data.records.map((s) => s.name)));
        const detail = await env.call<{ sessions: { id: number; name: string }[] }>(
          "GET",
          `/api/show/detail/${concert.id}`,
        );
        const eve = detail.body.data.sessions.find((s) => s.name === "除夕夜场")!;
        const tiers = await env.call<{ id: number; name: string; price: number }[]>(
          "GET",
          `/api/ticket/list?showId=${concert.id}&sessionId=${eve.id}`,
        );
        assert.deepEqual(tiers.body.data.map((x) => `${x.name} ${x.price}`).sort(), [
          "一楼包厢 980",
          "三楼 280",
          "二楼 480",
          "池座 680",
        ]);
        const buyer = await env.user();
        const stock = async (name: string) =>
          (await env.call<{ total: number; locked: number; sold: number }>(
            "GET",
            `/api/ticket/stock/${tiers.body.data.find((x) => x.name === name)!.id}`,
            { token: buyer.token },
          )).body.data;
        // 池座 has the reference's 30 seats; testuser1's unpaid order holds one of them.
        const stalls = await stock("池座");
        assert.deepEqual([stalls.total, stalls.locked, stalls.sold], [30, 1, 0]);
        const box = await stock("一楼包厢");
        assert.equal(box.total, 200);
        assert.equal(box.locked + box.sold, 0);
        const areas = await env.call<
          { name: string; totalSeats: number; availableSeats: number }[]
        >(
          "GET",
          `/api/seat/areas?sessionId=${eve.id}`,
        );
        assert.deepEqual(areas.body.data.map((a) => [a.name, a.totalSeats, a.availableSeats]), [[
          "池座",
          30,
          29,
        ]]);
      });

      await t.step("a second import changes nothing", async () => {
        const tables = ["users", "shows", "sessions", "tickets", "seats", "orders", "order_items"];
        const counts = await Promise.all(tables.map(count));
        const stock = await env.ctx.db.rows("SELECT * FROM ticket_stock ORDER BY ticket_id");
        const run = await runImport(childEnv, ["--from", source.url]);
        assert.equal(run.code, 0, run.stderr);
        for (const kind of Object.keys(run.report.counts)) {
          assert.equal(run.report.counts[kind].added, 0, kind);
        }
        assert.equal(run.report.counts.order.existing, 3);
        assert.deepEqual(await Promise.all(tables.map(count)), counts);
        assert.deepEqual(
          await env.ctx.db.rows("SELECT * FROM ticket_stock ORDER BY ticket_id"),
          stock,
        );
      });

      await t.step("the audit passes, Redis rebuilt from MySQL included", async () => {
        const report = await audit(env.ctx, { graceMs: 0 });
        assert.ok(report.ok, JSON.stringify(report.violations));
        const redisChecked = report.checks.find((c) => c.name.startsWith("6."))!;
        assert.ok(redisChecked.checked >= 1, "the unpaid order's session was built in Redis");
      });

      await t.step("the buyer pays the imported order by its old number", async () => {
        const login = await env.call<{ token: string }>("POST", "/api/user/login", {
          body: { username: "testuser1", password: "123456" },
        });
        const token = login.body.data.token;
        const detail = await env.call<{ status: number; totalAmount: number; items: unknown[] }>(
          "GET",
          "/api/order/detail/by-order-no/ORD202412010001",
          { token },
        );
        assert.equal(detail.status, 200, JSON.stringify(detail.body));
        assert.equal(detail.body.data.status, 0);
        assert.equal(detail.body.data.totalAmount, 1360);
        const other = await env.call("GET", "/api/order/detail/by-order-no/ORD202412010002", {
          token,
        });
        assert.equal(other.status, 404, "another buyer's order");
        const pay = await env.call("POST", "/api/order/pay?orderNo=ORD202412010001&payType=1", {
          token,
        });
        assert.equal(pay.status, 200, JSON.stringify(pay.body));
        const report = await audit(env.ctx, { graceMs: 0 });
        assert.ok(report.ok, JSON.stringify(report.violations));
      });

      await t.step("rows it cannot map are listed and the exit status is 1", async () => {
        await source.query(
          `INSERT INTO \`${source.databases[1]}\`.t_show (name, type, venue, city, start_time,
           end_time, status) VALUES ('Circus', 9, 'Tent', '北京', '2030-01-01 10:00:00',
           '2030-01-01 12:00:00', 1);
         INSERT INTO \`${source.databases[0]}\`.t_user (username, password, phone)
           VALUES ('${"x".repeat(40)}', 'e10adc3949ba59abbe56e057f20f883e', '13900000000')`,
        );
        const run = await runImport(childEnv, ["--from", source.url]);
        assert.equal(run.code, 1, run.stderr);
        assert.equal(run.report.ok, false);
        const reasons = run.report.unmapped.map((u) => `${u.kind}: ${u.reason}`);
        assert.ok(reasons.some((r) => /^show: type 9/.test(r)), reasons.join("; "));
        assert.ok(reasons.some((r) => /^user: username .* 1-32/.test(r)), reasons.join("; "));
        assert.equal(run.report.counts.order.added, 0);
      });

      await t.step(
        "a username boxoffice has already is refused, or linked on request",
        async () => {
          await env.user({ username: "collide_me" });
          await source.query(
            `INSERT INTO \`${source.databases[0]}\`.t_user (username, password, phone)
             VALUES ('collide_me', 'e10adc3949ba59abbe56e057f20f883e', '13900000001')`,
          );
          const refused = await runImport(childEnv, ["--from", source.url]);
          assert.equal(refused.code, 1);
          assert.ok(
            refused.report.unmapped.some((u) => /"collide_me" is taken/.test(u.reason)),
            JSON.stringify(refused.report.unmapped),
          );
          const linked = await runImport(childEnv, ["--from", source.url, "--link-existing-users"]);
          assert.equal(linked.report.counts.user.linked, 1);
          assert.ok(!linked.report.unmapped.some((u) => /collide_me/.test(u.reason)));
          const again = await runImport(childEnv, ["--from", source.url]);
          assert.equal(again.report.counts.user.linked, 0, "the link is remembered");
          assert.ok(!again.report.unmapped.some((u) => /collide_me/.test(u.reason)));
        },
      );

      await t.step("an unreachable source exits 2 and writes nothing", async () => {
        const users = await count("users");
        const run = await runImport(childEnv, ["--from", "mysql://root@127.0.0.1:1"]);
        assert.equal(run.code, 2);
        assert.match(run.stderr, /cannot connect/);
        assert.equal(await count("users"), users);
      });
    } finally {
      await source.drop();
    }
  },
);
