import assert from "node:assert/strict";
import { generateManifest, MANIFEST, routeFiles, urlOf } from "../tools/routes_manifest.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("routes.gen.ts is up to date (run `deno task routes` when this fails)", async () => {
  assert.equal(await Deno.readTextFile(`${root}/${MANIFEST}`), await generateManifest(root));
});

Deno.test("a route file added without regenerating makes the manifest stale", async () => {
  const copy = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${copy}/routes/api`, { recursive: true });
    for (const f of await routeFiles(root)) {
      await Deno.mkdir(`${copy}/${f.slice(0, f.lastIndexOf("/"))}`, { recursive: true });
      await Deno.copyFile(`${root}/${f}`, `${copy}/${f}`);
    }
    const committed = await Deno.readTextFile(`${root}/${MANIFEST}`);
    assert.equal(await generateManifest(copy), committed);
    await Deno.writeTextFile(`${copy}/routes/api/new_thing.ts`, "export const GET = undefined;\n");
    const fresh = await generateManifest(copy);
    assert.notEqual(fresh, committed);
    assert.match(fresh, /path: "\/api\/new_thing"/);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("URLs follow file paths", () => {
  assert.equal(urlOf("routes/api/user/login.ts"), "/api/user/login");
  assert.equal(urlOf("routes/api/order/[orderNoOrId].ts"), "/api/order/{orderNoOrId}");
  assert.equal(urlOf("routes/api/show/index.ts"), "/api/show");
  assert.equal(urlOf("routes/openapi.json.ts"), "/openapi.json");
});

Deno.test("every exported member of a route file is a route of a known method", async () => {
  const { routes } = await import("../routes.gen.ts");
  for (const r of routes) {
    const names = Object.keys(r.module);
    assert.ok(names.length > 0, `${r.file} exports no route`);
    for (const name of names) {
      assert.ok(
        ["GET", "POST", "PUT", "PATCH", "DELETE"].includes(name),
        `${r.file} exports ${name}`,
      );
    }
  }
});
