// The buyer's page in a real browser: headless Chromium (the Debian package) drives the demo
// service (main.ts --demo in a child process, its own database and key prefix) through the
// journeys on the demo theatre and the demo café, and saves screenshots under .data/e2e/.
// `deno task test:e2e` runs this file alone; `deno task test` runs it when Chromium is present.
import assert from "node:assert/strict";
import { CHROMIUM, chromiumInstalled, launchChromium, type Page } from "./support/browser.ts";
import { dropDatabase, testStores, uniqueName } from "./support/env.ts";
import { spawnServer } from "./support/process.ts";

const SHOTS = new URL("../.data/e2e/", import.meta.url).pathname;
const installed = await chromiumInstalled();
if (!installed) {
  console.log(
    `page e2e: SKIPPED — no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set ` +
      "CHROMIUM_PATH)",
  );
}

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1200, height: 900 };

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** The demo's API, outside the browser: another buyer's actions. */
async function call<T>(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const envelope = await res.json();
  assert.equal(res.status, 200, JSON.stringify(envelope));
  return envelope.data as T;
}

async function openShow(page: Page, base: string, name: string) {
  await page.goto(`${base}/`);
  await page.locator('[data-test="show"]', { hasText: name }).click();
  await page.locator('[data-test="session"].chosen').waitFor();
}

/** Waits until exactly `n` elements match (the page updates itself). */
async function countIs(page: Page, selector: string, n: number) {
  await page.waitForFunction(
    `document.querySelectorAll(${JSON.stringify(selector)}).length === ${n}`,
  );
}

async function orderNoOf(page: Page): Promise<string> {
  await page.waitForURL(/#\/order\/\d+/);
  return decodeURIComponent(new URL(page.url()).hash.split("/")[2]);
}

Deno.test({
  name: "page e2e (Chromium): theatre and café journeys, phone size, 中文/English",
  ignore: !installed,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await Deno.mkdir(SHOTS, { recursive: true });
    const { databaseUrl, redisUrl } = await testStores();
    const name = uniqueName();
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    const dataDir = await Deno.makeTempDir();
    const server = spawnServer({
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `${name}:`,
      DATA_DIR: dataDir,
      JOBS: "false",
      TIME_ZONE: "UTC",
    }, ["--demo"]);
    const { context, close } = await launchChromium(DESKTOP);
    const errors: string[] = [];
    try {
      await server.waitForLine(/"msg":"listening"/);
      const base = server.url;
      const page = await context.newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      const user = `e2e_${crypto.randomUUID().slice(0, 8)}`;

      await t.step("the page is served by the service, its assets too", async () => {
        const res = await fetch(`${base}/`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /text\/html/);
        assert.match(await res.text(), /\/web\/app\.js/);
        for (const asset of ["app.js", "app.css"]) {
          const a = await fetch(`${base}/web/${asset}`);
          assert.equal(a.status, 200);
          await a.body?.cancel();
        }
        assert.equal((await fetch(`${base}/web/nope.js`)).status, 404);
      });

      await t.step("theatre: register on the way, best 3 seats, live map, order, pay", async () => {
        await page.goto(`${base}/`);
        await page.locator('[data-test="show"]').first().waitFor();
        await shot(page, "01-shows");
        await openShow(page, base, "歌剧魅影");
        await page.locator('[data-test="area"]', { hasText: "池座" }).click();
        await page.locator(".seat.free").first().waitFor();
        // Not signed in: asking for seats leads to the login page, then back here.
        await page.locator('[data-test="best"]').click();
        await page.waitForURL(/#\/login/);
        await page.getByRole("link", { name: /Register/ }).click();
        await page.locator('input[name="username"]').fill(user);
        await page.locator('input[name="password"]').fill("secret123");
        await page.locator('input[name="phone"]').fill("13800138000");
        await page.locator('[data-test="submit"]').click();
        await page.waitForURL(/#\/show\/\d+\?session=\d+&area=\d+/);
        await page.locator(".seat.free").first().waitFor();

        await page.locator('[data-test="best-count"]').selectOption("3");
        await page.locator('[data-test="best"]').click();
        await countIs(page, ".seat.mine", 3);
        const mine = await page.locator(".seat.mine").evaluateAll((els) =>
          els.map((e) => e.getAttribute("title"))
        );
        // The front row's centre of a 20-seat row: seats 9-11 of row 1.
        assert.deepEqual(mine.map((m) => m?.split(" ")[0]), ["A-01-09", "A-01-10", "A-01-11"]);
        assert.match(
          await page.locator('[data-test="countdown"]').innerText(),
          /Hold ends in \d:\d\d/,
        );

        // Another buyer holds a seat: the map shows it without a reload.
        const admin = await call<{ token: string }>(base, "POST", "/api/user/login", {
          username: "admin",
          password: "123456",
        });
        const other = await page.locator(".seat.free").last().getAttribute("data-seat");
        const sessionId = Number(new URL(page.url()).hash.match(/session=(\d+)/)![1]);
        await call(base, "POST", "/api/seat/lock", {
          sessionId,
          seatIds: [Number(other)],
        }, admin.token);
        await page.locator(`.seat.held[data-seat="${other}"]`).waitFor({ timeout: 15_000 });

        // A click holds a free seat, a second click gives it back.
        const free = page.locator(".seat.free").first();
        const clicked = await free.getAttribute("data-seat");
        await free.click();
        await page.locator(`.seat.mine[data-seat="${clicked}"]`).waitFor();
        await page.locator(`.seat.mine[data-seat="${clicked}"]`).click();
        await page.locator(`.seat.free[data-seat="${clicked}"]`).waitFor();
        await countIs(page, ".seat.mine", 3);
        await shot(page, "02-theatre-seat-map");

        await page.locator('[data-test="order"]').click();
        const orderNo = await orderNoOf(page);
        // The server's price: 3 seats of 池座 at 680.
        assert.equal(await page.locator('[data-test="total"]').innerText(), "¥2040");
        assert.equal(await page.locator('[data-test="status"]').getAttribute("data-status"), "0");
        await shot(page, "03-theatre-order");
        await page.locator('[data-test="pay-1"]').click();
        await page.locator('[data-test="status"][data-status="1"]').waitFor();

        await page.locator("#nav-orders").click();
        await page.locator(`[data-test="order-row"][data-order="${orderNo}"] [data-status="1"]`)
          .waitFor();
      });

      await t.step("theatre: another order, cancelled from my orders", async () => {
        await openShow(page, base, "歌剧魅影");
        await page.locator('[data-test="area"]', { hasText: "楼座" }).click();
        await page.locator(".seat.free").first().waitFor();
        await page.locator('[data-test="best-count"]').selectOption("2");
        await page.locator('[data-test="best"]').click();
        await countIs(page, ".seat.mine", 2);
        await page.locator('[data-test="order"]').click();
        const orderNo = await orderNoOf(page);
        await page.locator("#nav-orders").click();
        const row = page.locator(`[data-test="order-row"][data-order="${orderNo}"]`);
        await row.locator('[data-test="cancel"]').click();
        await row.locator('[data-status="2"]').waitFor();
        await shot(page, "04-my-orders");
      });

      await t.step("café: a window tomorrow evening, best 2 seats, night price, pay", async () => {
        await openShow(page, base, "星空网咖");
        await page.locator('[data-test="area"]', { hasText: "一楼大厅" }).click();
        await page.locator(".timeline").waitFor();
        const tomorrow = await page.locator('[data-test="date"] option').nth(1).getAttribute(
          "value",
        );
        await page.locator('[data-test="date"]').selectOption(tomorrow!);
        await page.locator('[data-test="start"]').selectOption("21");
        await page.locator('[data-test="hours"]').selectOption("3");
        await page.locator('[data-test="best-count"]').selectOption("2");
        // 21:00-24:00 with nights from 22:00: one day hour and two night hours per seat.
        assert.match(await page.locator('[data-test="night-price"]').innerText(), /22:00.*¥11/);
        await page.locator('[data-test="best"]').click();
        await countIs(page, ".timeline tr.picked td.mine", 6);
        assert.match(await page.locator('[data-test="estimate"]').innerText(), /¥60/);
        assert.match(await page.locator('[data-test="countdown"]').innerText(), /Hold ends in/);
        await shot(page, "05-cafe-timeline");
        await page.locator('[data-test="order"]').click();
        await orderNoOf(page);
        // The server's price: 2 seats × (8 × 3 h) + 2 seats × (11 − 8) × 2 night hours.
        assert.equal(await page.locator('[data-test="total"]').innerText(), "¥60");
        await page.locator('[data-test="pay-2"]').click();
        await page.locator('[data-test="status"][data-status="1"]').waitFor();
        await shot(page, "06-cafe-order-paid");
      });

      await t.step("phone size, 中文: the seat map and the café fit and work", async () => {
        await page.setViewportSize(PHONE);
        await openShow(page, base, "歌剧魅影");
        await page.locator("#lang").click();
        await page.locator("#nav-orders", { hasText: "我的订单" }).waitFor();
        await page.locator('[data-test="area"]', { hasText: "池座" }).click();
        await page.locator(".seat.sold").first().waitFor();
        await page.locator('[data-test="best-count"]').selectOption("2");
        await page.locator('[data-test="best"]').click();
        await countIs(page, ".seat.mine", 2);
        assert.match(await page.locator('[data-test="countdown"]').innerText(), /锁座剩余/);
        // Nothing wider than the screen but the seat map's own scroller.
        const width = Number(await page.evaluate("document.documentElement.scrollWidth"));
        assert.ok(width <= PHONE.width, `page is ${width}px wide on a ${PHONE.width}px screen`);
        await shot(page, "07-phone-theatre-zh");
        await openShow(page, base, "星空网咖");
        await page.locator('[data-test="area"]').first().click();
        await page.locator(".timeline").waitFor();
        await shot(page, "08-phone-cafe-zh");
        await page.locator("#lang").click();
        await page.locator("#nav-orders", { hasText: "My orders" }).waitFor();
      });
      assert.deepEqual(errors, []);
    } finally {
      await close();
      server.signal("SIGTERM");
      await server.exited;
      await dropDatabase(databaseUrl, name);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
