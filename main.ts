/**
 * boxoffice: one process serving the whole HTTP API.
 *
 *   deno task start            demo mode: starts private stores when none run, seeds demo data
 *   boxoffice --help           the environment variables
 *   boxoffice --healthcheck    exit 0 when the server on PORT is up (container HEALTHCHECK)
 */
import { createApp } from "#http/app.ts";
import { bootService, DEMO_ADMIN, type Service } from "#lib/boot.ts";
import { type Config, ConfigError, loadConfig, VARIABLES } from "#lib/platform/config.ts";
import { isAppError } from "#lib/platform/errors.ts";
import { healthcheck } from "#lib/ops/healthcheck.ts";
import { registerCronJobs } from "#lib/ops/jobs/runner.ts";
import { StoreSetupError } from "#dev/local_stores.ts";
import { createLogger } from "#lib/platform/log.ts";

if (Deno.args.includes("--healthcheck")) {
  Deno.exit(await healthcheck(Deno.env.toObject()));
}

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(
    "boxoffice — ticketing backend\n\nusage: boxoffice [--demo]\n" +
      "       boxoffice --healthcheck   exit 0 when the server on PORT answers /api/health\n\n" +
      "environment:",
  );
  for (const [name, meaning] of VARIABLES) console.log(`  ${name.padEnd(26)} ${meaning}`);
  Deno.exit(0);
}

let config: Config;
try {
  config = loadConfig(Deno.env.toObject(), Deno.args);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`boxoffice: invalid configuration: ${e.message}`);
    Deno.exit(2);
  }
  throw e;
}

const shownHost = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
const url = `http://${shownHost}:${config.port}`;
console.log(`boxoffice${config.demo ? " (demo)" : ""} starting on ${url}`);
if (config.demo && !config.adminUsername) {
  console.log(`  admin login: ${DEMO_ADMIN.username} / ${DEMO_ADMIN.password}`);
} else if (config.adminUsername) {
  console.log(`  admin login: ${config.adminUsername} (password from ADMIN_PASSWORD)`);
}
console.log(`  API docs:    ${url}/docs`);
console.log(`  buyer page:  ${url}/`);

const log = createLogger(config.logLevel);
let service: Service;
try {
  service = await bootService(config, { log, say: (line) => console.log(`  ${line}`) });
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`boxoffice: cannot start: ${e.message}`);
    Deno.exit(2);
  }
  if (e instanceof StoreSetupError) {
    console.error(`boxoffice: ${e.message}`);
    Deno.exit(1);
  }
  if (isAppError(e) && e.code === "UNAVAILABLE") {
    console.error(`boxoffice: cannot start: ${e.message} (${(e.cause as Error)?.message ?? ""})`);
    Deno.exit(1);
  }
  throw e;
}

// Every instance registers the jobs; each run takes a Redis lease, so one instance works at a time.
if (config.jobsEnabled) registerCronJobs(service.ctx);

const app = createApp(service.ctx);
const server = Deno.serve(
  {
    port: config.port,
    hostname: config.host,
    onListen: () => log.info("listening", { url, demo: config.demo }),
  },
  (req, info) => app.fetch(req, { remoteAddr: info.remoteAddr as Deno.NetAddr }),
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal });
  // Stop accepting, let in-flight requests finish, then close the pools.
  await server.shutdown();
  await service.close();
  log.info("stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
