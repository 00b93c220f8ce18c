// Splicing of lua/includes/ into the scripts: pure text, no store.
import assert from "node:assert/strict";
import { includesOf, spliceIncludes } from "#lib/platform/lua_includes.ts";

const script = `--[[
demo: a script. KEYS[1] ARGV[1] Returns 1
]]
--- @include "includes/a"

return a()
`;

Deno.test("spliceIncludes() puts the snippet where the script asks for it, between markers", () => {
  const out = spliceIncludes("demo", script, { "includes/a": "local function a() return 1 end\n" });
  assert.equal(
    out,
    `--[[
demo: a script. KEYS[1] ARGV[1] Returns 1
]]
-- >>> includes/a.lua
local function a() return 1 end
-- <<< includes/a.lua

return a()
`,
  );
  assert.deepEqual(includesOf(out), []);
});

Deno.test("spliceIncludes() follows nested includes and splices each snippet once", () => {
  const out = spliceIncludes("demo", `${script}--- @include "includes/b"\n`, {
    "includes/a": `--- @include "includes/b"\nlocal function a() return b() end`,
    "includes/b": "local function b() return 1 end",
  });
  assert.equal(out.match(/local function b\(\)/g)?.length, 1);
  assert.ok(out.indexOf("function b()") < out.indexOf("function a()"), "b defined before a");
  assert.match(out, /-- \(includes\/b\.lua: spliced above\)/);
});

Deno.test("spliceIncludes() accepts the directive's forms: two or three dashes, either quote", () => {
  assert.deepEqual(
    includesOf(`-- @include 'includes/x'\n---@include "includes/y";\n  -- @include "z"\n`),
    ["includes/x", "includes/y"],
  );
});

Deno.test("spliceIncludes() refuses an unknown include and a cycle at load time", () => {
  assert.throws(
    () => spliceIncludes("demo", script, {}),
    /lua\/demo\.lua: @include "includes\/a" names no file lua\/includes\/a\.lua/,
  );
  assert.throws(
    () =>
      spliceIncludes("demo", script, {
        "includes/a": `--- @include "includes/b"`,
        "includes/b": `--- @include "includes/a"`,
      }),
    /include cycle demo -> includes\/a -> includes\/b -> includes\/a/,
  );
});

Deno.test("spliceIncludes() leaves a script without includes as it is", () => {
  const plain = "--[[\nplain: KEYS[1] ARGV[1] Returns 1\n]]\nreturn 1\n";
  assert.equal(spliceIncludes("plain", plain, {}), plain);
});
