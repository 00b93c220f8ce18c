// Every third-party import of the project, at an exact version. Import them from here only.
export { Hono } from "npm:hono@4.13.19";
export type { Context, MiddlewareHandler } from "npm:hono@4.13.19";
export { TrieRouter } from "npm:hono@4.13.19/router/trie-router";
export type { Result, Router } from "npm:hono@4.13.19/router";
export { cors } from "npm:hono@4.13.19/cors";
export { HTTPException } from "npm:hono@4.13.19/http-exception";
export type { ContentfulStatusCode } from "npm:hono@4.13.19/utils/http-status";
export { OpenAPIHono } from "npm:@hono/zod-openapi@1.6.3";
export { z } from "npm:@hono/zod-openapi@1.6.3";
export type { ZodType } from "npm:zod@4.6.7";
// node-redis's core. The `redis` package is this plus the bloom/JSON/search/time-series modules,
// added to every client it creates; we use none of them, and the server's RSS at boot is ~8 MB
// lower without them.
export { createClient, createCluster, ErrorReply } from "npm:@redis/client@5.12.1";
export type { RedisClientType } from "npm:@redis/client@5.12.1";
export { default as mysql } from "npm:mysql2@3.24.6/promise";
export type {
  Pool as MysqlPool,
  PoolConnection as MysqlConnection,
  ResultSetHeader,
  RowDataPacket,
} from "npm:mysql2@3.24.6/promise";
export { errors as joseErrors, jwtVerify, SignJWT } from "npm:jose@6.2.18";
export type { JWTPayload } from "npm:jose@6.2.18";
// Verifies the reference system's imported BCrypt password hashes (pure JS, no native code).
export { default as bcrypt } from "npm:bcryptjs@3.0.3";
// Deno's built-in OpenTelemetry (OTEL_DENO=true) registers itself behind this API.
export { context, SpanStatusCode, trace } from "npm:@opentelemetry/api@1.10.0";
// Assets of the /docs page, embedded so the service needs no CDN. 5.17.14 is the last release
// without a dependency on @scarf/scarf (an install-time telemetry script); keep it so.
export { default as swaggerUiCss } from "npm:swagger-ui-dist@5.17.14/swagger-ui.css" with {
  type: "text",
};
export { default as swaggerUiBundle } from "npm:swagger-ui-dist@5.17.14/swagger-ui-bundle.js" with {
  type: "text",
};
