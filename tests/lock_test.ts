// What `deno task start` installs in a fresh clone: no package with an install-time script (such
// as @scarf/scarf, the telemetry dependency of newer swagger-ui-dist releases), which Deno would
// announce with a warning box above the banner, and nothing the lock keeps that deps.ts (or the
// browser test's tests/support/deps.ts) dropped.
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;

interface Lock {
  specifiers: Record<string, string>;
  npm: Record<string, { scripts?: boolean; dependencies?: string[] }>;
}

Deno.test("deno.lock: no install scripts, no telemetry package, only what is imported", async () => {
  const lock: Lock = JSON.parse(await Deno.readTextFile(`${root}deno.lock`));
  const deps = await Deno.readTextFile(`${root}deps.ts`) +
    await Deno.readTextFile(`${root}tests/support/deps.ts`);
  for (const [name, entry] of Object.entries(lock.npm)) {
    assert.ok(!entry.scripts, `${name} has an install script`);
    assert.ok(!/^@scarf\//.test(name), `${name} is a telemetry package`);
  }
  for (const specifier of Object.keys(lock.specifiers)) {
    assert.ok(deps.includes(`"${specifier}`), `${specifier} is locked but not imported`);
  }
});
