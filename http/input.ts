/**
 * Turns a request into the typed values a route declared, or a 400 naming the offending field.
 * Rules shared by every route: an empty query value means "not given"; an empty body is no body,
 * whatever its Content-Type; a non-empty body must be JSON.
 */
import type { Context, z } from "#deps";
import { AppError, invalid } from "#lib/platform/errors.ts";
import type { AnyRoute, HonoEnv } from "./route.ts";

export interface ParsedInput {
  params: unknown;
  query: unknown;
  body: unknown;
}

export async function parseInput(c: Context<HonoEnv>, route: AnyRoute): Promise<ParsedInput> {
  if (!route.body) return parsedUrl(c, route);
  const params = route.params ? validate(route.params, c.req.param(), "") : undefined;
  const query = route.query ? validate(route.query, nonEmpty(c.req.query()), "") : undefined;
  let body: unknown = undefined;
  if (route.body) {
    const raw = await readJson(c);
    if (raw === undefined && !route.bodyOptional) throw invalid("body", "a JSON body is required");
    body = validate(route.body, raw ?? {}, "");
  }
  return { params, query, body };
}

/**
 * The params and query of a request without a body, parsed once per URL and route: a crowd
 * reloading one seat map or one show sends the same URL thousands of times a second, and parsing
 * it again cost more than the cached answer (a tenth of a 1,000-seat layout request). Frozen, as
 * every handler only reads them; a refusal is not kept. Bounded in entries and in URL length, so
 * that a flood of distinct or long URLs (a schema drops unknown query fields) costs no memory:
 * the memo empties instead of growing, and a long URL is parsed each time.
 */
function parsedUrl(c: Context<HonoEnv>, route: AnyRoute): ParsedInput {
  if (!route.params && !route.query) return NOTHING;
  const url = c.req.url;
  const hit = parsedByUrl.get(url);
  if (hit?.route === route) return hit.parsed;
  const parsed = deepFreeze({
    params: route.params ? validate(route.params, c.req.param(), "") : undefined,
    query: route.query ? validate(route.query, nonEmpty(c.req.query()), "") : undefined,
    body: undefined,
  });
  if (url.length <= PARSED_URL_MAX_LENGTH) {
    if (parsedByUrl.size >= PARSED_URLS_MAX) parsedByUrl.clear();
    parsedByUrl.set(url, { route, parsed });
  }
  return parsed;
}
const parsedByUrl = new Map<string, { route: AnyRoute; parsed: ParsedInput }>();
const PARSED_URLS_MAX = 1_000;
const PARSED_URL_MAX_LENGTH = 512;
const NOTHING: ParsedInput = Object.freeze({
  params: undefined,
  query: undefined,
  body: undefined,
});

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function nonEmpty(q: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v.trim() !== "") out[k] = v;
  return out;
}

async function readJson(c: Context<HonoEnv>): Promise<unknown> {
  let text: string;
  try {
    text = await c.req.text();
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw invalid("body", "could not be read");
  }
  if (text === "" || (text.charCodeAt(0) <= 32 && text.trim() === "")) return undefined;
  if (!isJsonType(c.req.header("content-type") ?? "")) {
    throw invalid("body", "Content-Type must be application/json");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid("body", "malformed JSON");
  }
}

// The last Content-Type seen and its verdict: clients send the same one request after request.
let lastType = "";
let lastTypeIsJson = false;
function isJsonType(type: string): boolean {
  if (type !== lastType) {
    lastTypeIsJson = /^(application|text)\/([\w.+-]*\+)?json\b/.test(type.toLowerCase());
    lastType = type;
  }
  return lastTypeIsJson;
}

/** Parses with a schema; the first problem becomes `field: reason`. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join(".");
  const field = [where, path].filter(Boolean).join(".") || "body";
  throw invalid(field, describe(issue));
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return /received undefined/.test(issue.message)
        ? "is required"
        : issue.message.replace(/^Invalid input: /, "");
    case "unrecognized_keys":
      return `unknown field ${issue.keys.join(", ")}`;
    default:
      return issue.message;
  }
}
