import assert from "node:assert/strict";

const root = new URL("..", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));

Deno.test("the Deno version is pinned once: README and .ci/run use .deno-version", async () => {
  const version = (await read(".deno-version")).trim();
  assert.match(version, /^\d+\.\d+\.\d+$/);
  const command = `npx -y deno@${version} task test`;
  assert.ok((await read("README.md")).includes(command), `README lacks "${command}"`);
  assert.ok((await read(".ci/run")).includes(`\n${command}\n`), `.ci/run lacks "${command}"`);
  assert.ok((await read("README.md")).includes(`npx -y deno@${version} task start`));
});
