/**
 * `deno task compile`: one self-contained executable, `dist/boxoffice`, with the permissions and
 * unstable flags that `deno task start` runs with. Everything it needs is embedded by static
 * imports (routes manifest, Lua scripts, SQL migrations, docs assets; tests/embedding_test.ts
 * holds that true), so it runs with nothing but the environment variables of `--help`.
 *
 * `deno compile` builds on `denort`, a slim runtime it downloads from dl.deno.land. Where that
 * host cannot be reached, point `DENORT_BIN` at a denort of the same Deno version (from the
 * release archive `denort-<target>.zip`); deno itself reads the variable. After building, the
 * binary is run with `--help` once to prove it starts.
 */

/**
 * V8's young generation capped at 8 MB a semi-space (V8 grows it to about 53 MB during boot and
 * keeps it): under bench mixed the server's RSS peak went from 270-334 MB to 209-241 MB, its array
 * buffers freed sooner, for no throughput loss we could tell from noise on the sold-out path
 * (bench/README.md, "What changed in the sixth session").
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=8";

/** Flags of the compiled binary: the same as `deno task start` (deno.json), minus `--demo`. */
export const COMPILE_FLAGS = [
  V8_FLAGS,
  "--unstable-cron",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys",
];

export const OUTPUT = "dist/boxoffice";

/** The whole `deno compile` command line. */
export function compileArgs(output = OUTPUT): string[] {
  return [
    "compile",
    ...COMPILE_FLAGS,
    "--exclude-unused-npm",
    "--output",
    output,
    "main.ts",
  ];
}

async function main() {
  const deno = Deno.execPath();
  const output = Deno.args[0] ?? OUTPUT;
  const child = new Deno.Command(deno, {
    args: compileArgs(output),
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const { code, stderr } = await child.output();
  const errors = new TextDecoder().decode(stderr);
  if (code !== 0) {
    if (/Setting up base binary|dl\.deno\.land|denort/i.test(errors)) {
      const where = Deno.env.get("DENORT_BIN");
      if (where) console.error(errors.trim());
      console.error(
        where
          ? `compile: cannot use DENORT_BIN=${where} as the runtime of the binary (see above)`
          : `compile: cannot download denort (the runtime deno compile builds on) from ` +
            `dl.deno.land; set DENORT_BIN to a denort ${Deno.version.deno} binary and run again`,
      );
    } else {
      console.error(errors.trim());
    }
    Deno.exit(1);
  }
  const help = await new Deno.Command(output, { args: ["--help"], stdin: "null" }).output();
  const text = new TextDecoder().decode(help.stdout);
  if (!help.success || !text.startsWith("boxoffice")) {
    console.error(
      `compile: ${output} was built but does not run main.ts (is DENORT_BIN a denort, ` +
        `not a deno CLI?)`,
    );
    Deno.exit(1);
  }
  console.log(`compile: ${output} is ready (${output} --help lists its settings)`);
}

if (import.meta.main) await main();
