// There is no Docker engine where the tests run: these tests read the Dockerfile and compose.yaml
// and hold them to what the README promises (hadolint is not packaged for Debian 12).
import assert from "node:assert/strict";
import { parseYaml } from "./support/deps.ts";
import { loadConfig, VARIABLES } from "#lib/platform/config.ts";
import { OUTPUT } from "../tools/compile.ts";

const root = new URL("..", import.meta.url).pathname;
const read = (f: string) => Deno.readTextFile(`${root}${f}`);
const KNOWN = new Set(VARIABLES.map(([name]) => name));
/** Names boxoffice does not read itself but Deno's OpenTelemetry does. */
const isOtel = (name: string) => name.startsWith("OTEL_");

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  return text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [, op, args] = /^(\S+)\s+(.*)$/.exec(l) ?? [];
      assert.ok(op, `not an instruction: ${l}`);
      return { op: op.toUpperCase(), args: args.replace(/\s+/g, " ") };
    });
}

Deno.test("Dockerfile: compiles in the Deno image, runs the binary as non-root, checks health", async () => {
  const all = instructions(await read("Dockerfile"));
  const known = [
    "FROM",
    "WORKDIR",
    "COPY",
    "RUN",
    "ENV",
    "EXPOSE",
    "USER",
    "HEALTHCHECK",
    "ENTRYPOINT",
    "CMD",
    "ARG",
    "LABEL",
  ];
  for (const i of all) assert.ok(known.includes(i.op), `unknown instruction ${i.op}`);
  const froms = all.flatMap((i, n) => (i.op === "FROM" ? [n] : []));
  assert.equal(froms.length, 2, "two stages: build and run");
  const version = (await read(".deno-version")).trim();
  assert.equal(all[froms[0]].args, `denoland/deno:${version} AS build`);
  const build = all.slice(froms[0], froms[1]);
  const run = all.slice(froms[1]);
  assert.ok(build.some((i) => i.op === "RUN" && i.args.includes("deno task compile")));
  assert.ok(build.some((i) => i.op === "RUN" && i.args.includes(OUTPUT)), `copies ${OUTPUT}`);
  assert.doesNotMatch(run[0].args, /deno/, "the run stage carries no Deno toolchain");
  assert.match(run[0].args, /^\S+:\S+$/, "the base image is pinned to a tag");

  const users = run.filter((i) => i.op === "USER");
  assert.equal(users.length, 1);
  assert.doesNotMatch(users[0].args, /^(root|0)(:|$)/, "runs as a non-root user");
  const entry = run.find((i) => i.op === "ENTRYPOINT")!;
  const binary = JSON.parse(entry.args)[0];
  assert.ok(
    run.some((i) =>
      i.op === "COPY" && i.args.startsWith("--from=build") &&
      i.args.endsWith(binary)
    ),
    "the entrypoint is the binary copied from the build stage",
  );
  const health = run.find((i) => i.op === "HEALTHCHECK")!;
  assert.match(health.args, /CMD \[.*"--healthcheck"\]/);
  assert.ok(health.args.includes(binary));

  const env = Object.fromEntries(
    run.filter((i) => i.op === "ENV").flatMap((i) =>
      [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])
    ),
  );
  for (const name of Object.keys(env)) assert.ok(KNOWN.has(name), `ENV ${name} is not read`);
  const exposed = run.find((i) => i.op === "EXPOSE")!.args;
  assert.equal(exposed, env.PORT, "EXPOSE is the PORT the server listens on");
});

Deno.test("compose.yaml: boxoffice with MariaDB and Redis, healthchecks, volumes, the demo", async () => {
  const compose = parseYaml(await read("compose.yaml"));
  // `docker compose up` starts the services of no profile: the demo.
  const services = Object.fromEntries(
    Object.entries(compose.services as Record<string, Record<string, unknown>>)
      .filter(([, s]) => !s.profiles),
  );
  assert.deepEqual(Object.keys(services).sort(), ["boxoffice", "mariadb", "redis"]);
  assert.match(String(services.mariadb.image), /^mariadb:10\.11/);
  assert.match(String(services.redis.image), /^redis:7/);

  const volumes = Object.keys(compose.volumes ?? {});
  for (const [name, service] of Object.entries(services)) {
    const check = service.healthcheck as { test?: string[] } | undefined;
    assert.ok(Array.isArray(check?.test) && check.test[0] === "CMD", `${name} has a healthcheck`);
    const mounts = (service.volumes ?? []) as string[];
    assert.ok(mounts.length > 0, `${name} keeps its data in a volume`);
    for (const m of mounts) assert.ok(volumes.includes(m.split(":")[0]), `${m}: undeclared`);
  }

  const app = services.boxoffice;
  assert.ok(app.build, "boxoffice is built from the Dockerfile");
  const dependsOn = app.depends_on as Record<string, { condition: string }>;
  for (const store of ["mariadb", "redis"]) {
    assert.equal(dependsOn[store]?.condition, "service_healthy", `waits for ${store}`);
  }
  assert.deepEqual((app.healthcheck as { test: string[] }).test.slice(-1), ["--healthcheck"]);

  const env = app.environment as Record<string, string>;
  for (const name of Object.keys(env)) {
    assert.ok(KNOWN.has(name) || isOtel(name), `${name} is not a boxoffice variable`);
  }
  // The service's own validation accepts it (a typo here would stop the container at boot).
  const config = loadConfig(env);
  assert.equal(config.demo, true, "`docker compose up` serves the demo");
  assert.equal(new URL(config.databaseUrl!).hostname, "mariadb");
  assert.equal(new URL(config.redisUrl!).hostname, "redis");
  const db = new URL(config.databaseUrl!);
  const maria = services.mariadb.environment as Record<string, string>;
  assert.equal(db.username, maria.MARIADB_USER);
  assert.equal(db.password, maria.MARIADB_PASSWORD);
  assert.equal(db.pathname, `/${maria.MARIADB_DATABASE}`);
  assert.ok((app.ports as string[]).some((p) => p.endsWith(`:${config.port}`)));
  // The demo's well-known admin password must not be reachable from other machines.
  for (const p of app.ports as string[]) {
    assert.match(p, /^127\.0\.0\.1:/, `${p}: the demo is published on loopback only`);
  }
  assert.ok((app.volumes as string[]).some((v) => v.endsWith(`:${config.dataDir}`)));
});

Deno.test("compose.yaml profile scale: 3 instances, Redis Cluster 3+3, MariaDB primary + replica", async () => {
  const compose = parseYaml(await read("compose.yaml"));
  const all = compose.services as Record<string, Record<string, unknown>>;
  const scale = Object.fromEntries(
    Object.entries(all).filter(([, s]) => (s.profiles as string[] | undefined)?.includes("scale")),
  );
  const names = Object.keys(scale);
  const nodes = names.filter((n) => /^redis-\d$/.test(n)).sort();
  const instances = names.filter((n) => /^boxoffice-\d$/.test(n)).sort();
  assert.deepEqual(nodes, ["redis-1", "redis-2", "redis-3", "redis-4", "redis-5", "redis-6"]);
  assert.deepEqual(instances, ["boxoffice-1", "boxoffice-2", "boxoffice-3"]);
  for (const n of nodes) {
    const command = (scale[n].command as string[]).join(" ");
    assert.match(command, /--cluster-enabled yes/, `${n} is a cluster node`);
    assert.ok(scale[n].healthcheck, `${n} has a healthcheck`);
  }
  const init = (scale["redis-cluster-init"].command as string[]).join(" ");
  assert.match(init, /--cluster create .* --cluster-replicas 1 --cluster-yes/);
  assert.match((scale["mariadb-primary"].command as string[]).join(" "), /--log-bin/);
  assert.equal(
    (scale["mariadb-replica"].environment as Record<string, string>).MARIADB_MASTER_HOST,
    "mariadb-primary",
  );
  const volumes = Object.keys(compose.volumes ?? {});
  const ports = new Set<string>();
  for (const name of instances) {
    const app = scale[name];
    assert.equal(app.image, all.boxoffice.image, `${name} runs the image the demo builds`);
    const env = app.environment as Record<string, string>;
    for (const v of Object.keys(env)) assert.ok(KNOWN.has(v), `${v} is not a boxoffice variable`);
    // The secrets come from the operator (compose fails with the message when unset); with
    // them filled in, the service's own validation accepts the rest.
    assert.match(env.JWT_SECRET, /^\$\{JWT_SECRET:\?/);
    const config = loadConfig({
      ...env,
      JWT_SECRET: "x".repeat(32),
      ADMIN_PASSWORD: "secret123",
    });
    assert.equal(config.demo, false);
    assert.deepEqual(config.redisClusterNodes, nodes.map((n) => `${n}:6379`));
    assert.equal(new URL(config.databaseUrl!).hostname, "mariadb-primary");
    assert.equal(new URL(config.databaseReadUrl!).hostname, "mariadb-replica");
    const deps = app.depends_on as Record<string, { condition: string }>;
    assert.equal(deps["redis-cluster-init"]?.condition, "service_completed_successfully");
    assert.equal(deps["mariadb-replica"]?.condition, "service_healthy");
    for (const p of app.ports as string[]) {
      assert.match(p, /^127\.0\.0\.1:\d+:8000$/, `${name} publishes on loopback only`);
      ports.add(p);
    }
  }
  assert.equal(ports.size, 3, "one port per instance");
  for (const s of Object.values(scale)) {
    for (const m of (s.volumes ?? []) as string[]) {
      assert.ok(volumes.includes(m.split(":")[0]), `${m}: undeclared`);
    }
  }
});
