/**
 * The response envelope of the API, in one place:
 * success `{code: 200, message, data, success: true}`,
 * failure `{code: <status>, message, data: null, success: false, error: "UPPER_SNAKE"}`.
 * Dates anywhere in `data` are written as ISO-8601 with the offset of the service's time zone.
 */
import { gzipSync } from "node:zlib";
import { z } from "#deps";
import { AppError } from "#lib/platform/errors.ts";
import { concat, JsonText } from "#lib/platform/json_text.ts";
import { deflatePieces } from "./piecewise_deflate.ts";
import { isShared } from "#lib/platform/shared_values.ts";
import { formatTime } from "#lib/platform/time.ts";

export function successBody(data: unknown, timeZone: string): string {
  if (data instanceof JsonText) {
    return `{"code":200,"message":"success","data":${data.text},"success":true}`;
  }
  if (!isShared(data)) return envelopeOf(data, timeZone);
  // A value many requests are served (a cached catalog page): written once.
  const memo = sharedBodies.get(data);
  if (memo && memo.timeZone === timeZone) return memo.body;
  const body = envelopeOf(data, timeZone);
  sharedBodies.set(data, { timeZone, body });
  return body;
}

const sharedBodies = new WeakMap<object, { timeZone: string; body: string }>();

function envelopeOf(data: unknown, timeZone: string): string {
  return stringify({ code: 200, message: "success", data: data ?? null, success: true }, timeZone);
}

/**
 * The success envelope around pre-rendered data, as UTF-8 bytes, encoded once per JsonText: a
 * reply a handler serves again and again (a cached seat layout) costs no encoding after the
 * first time.
 */
export function successBytes(data: JsonText): Uint8Array<ArrayBuffer> {
  // The data's own bytes between the envelope's: no text of the whole reply is made.
  return data.derived.envelope ??= concat(data.chunks, SUCCESS_HEAD, SUCCESS_TAIL);
}

const SUCCESS_HEAD = new TextEncoder().encode(`{"code":200,"message":"success","data":`);
const SUCCESS_TAIL = new TextEncoder().encode(`,"success":true}`);

/** successBytes gzipped, once per JsonText (a 178 kB layout of 1,000 seats is about 10 kB). */
export function successGzip(data: JsonText): Uint8Array<ArrayBuffer> {
  // A copy of its own size: gzipSync's output may be a view of a larger buffer.
  return data.derived.gzip ??= new Uint8Array(gzipSync(successBytes(data), { level: 4 }));
}

/**
 * successBytes in the zlib format, compressed chunk by chunk (piecewise_deflate.ts), once per
 * JsonText: for data in chunks that change a few at a time (a seat layout under holds).
 */
export function successDeflate(data: JsonText): Uint8Array<ArrayBuffer> {
  return data.derived.deflate ??= deflatePieces([SUCCESS_HEAD, ...data.chunks, SUCCESS_TAIL]);
}

/** Does an Accept-Encoding header take gzip (and not refuse it with q=0)? */
export function acceptsGzip(header: string | undefined): boolean {
  return acceptsCoding(header, "gzip");
}

/** Does an Accept-Encoding header take this coding (and not refuse it with q=0)? */
export function acceptsCoding(header: string | undefined, wanted: "gzip" | "deflate"): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding.trim() !== wanted && coding.trim() !== "*") return false;
    return !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
  });
}

export function errorBody(e: AppError): string {
  let body = errorBodies.get(e);
  if (body === undefined) {
    // Written out rather than stringified from an object: refusals are most of a sold-out flood.
    const detail = e.detail !== undefined ? `,"detail":${JSON.stringify(e.detail)}` : "";
    body = `{"code":${e.status},"message":${JSON.stringify(e.message)},"data":null,` +
      `"success":false,"error":"${e.code}"${detail}}`;
    errorBodies.set(e, body);
  }
  return body;
}

/** An error thrown again and again (lib/sale/stock_gate.ts's sold-out refusal) is written once. */
const errorBodies = new WeakMap<AppError, string>();

export function errorResponse(e: AppError, headers: Record<string, string> = {}): Response {
  const h: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  for (const name in headers) h[name] = headers[name];
  if (e.retryAfter !== undefined) h["retry-after"] = String(e.retryAfter);
  return new Response(errorBody(e), { status: e.status, headers: h });
}

function stringify(value: unknown, timeZone: string): string {
  // A replacer function would be called for every key of every record (a 1,000-seat layout has
  // 12,000): converting the Dates in one walk first is several times faster.
  return JSON.stringify(withTimes(value, timeZone));
}

function withTimes(value: unknown, timeZone: string): unknown {
  if (value instanceof Date) return formatTime(value, timeZone);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (v !== null && typeof v === "object") {
        const w = withTimes(v, timeZone);
        if (w !== v) (out ??= value.slice())[i] = w;
      }
    }
    return out ?? value;
  }
  if (value !== null && typeof value === "object") {
    let out: Record<string, unknown> | undefined;
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== null && typeof v === "object") {
        const w = withTimes(v, timeZone);
        if (w !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = w;
      }
    }
    return out ?? value;
  }
  return value;
}

/** OpenAPI schema of a successful reply carrying `data`. */
export function successSchema(data: z.ZodType = z.unknown()) {
  return z.object({
    code: z.literal(200),
    message: z.string(),
    data,
    success: z.literal(true),
  });
}

export const errorSchema = z.object({
  code: z.number().int().openapi({ example: 409 }),
  message: z.string().openapi({ example: "tier 7 is sold out" }),
  data: z.null(),
  success: z.literal(false),
  error: z.string().openapi({ example: "SOLD_OUT" }),
  detail: z.unknown().optional(),
}).openapi("Error");
