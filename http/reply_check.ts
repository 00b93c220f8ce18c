/**
 * Checks a reply against its route's `data` schema, as the client sees it: the JSON text is
 * parsed back, so Dates already written out, pre-rendered JsonText and fields the schema does not
 * declare are all judged on the wire. On only when BOXOFFICE_CHECK_REPLIES=1 (the test suite sets
 * it): a mismatch is a bug, answered with a 500 and logged, so the test that made it fails.
 */
import type { z } from "#deps";

/** Whether this process checks every reply (read once per app). */
export function checkRepliesFromEnv(): boolean {
  // Without env permission (a restricted run) the check is simply off.
  const allowed = Deno.permissions.querySync({ name: "env", variable: "BOXOFFICE_CHECK_REPLIES" });
  return allowed.state === "granted" && Deno.env.get("BOXOFFICE_CHECK_REPLIES") === "1";
}

/** Why the `data` of the envelope `body` does not match `schema`, or undefined when it does. */
export function replyMismatch(schema: z.ZodType, body: string): string | undefined {
  const sent = (JSON.parse(body) as { data?: unknown }).data;
  const result = schema.safeParse(sent);
  if (!result.success) {
    const issue = result.error.issues[0];
    return `${["data", ...issue.path.map(String)].join(".")}: ${issue.message}`;
  }
  const extra = undeclared(sent, result.data, "data");
  return extra === undefined ? undefined : `${extra}: not declared in the route's data schema`;
}

/** The first field of `sent` that parsing dropped (zod objects strip unknown keys). */
function undeclared(sent: unknown, parsed: unknown, path: string): string | undefined {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    for (let i = 0; i < sent.length; i++) {
      const found = undeclared(sent[i], parsed[i], `${path}.${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isRecord(sent) && isRecord(parsed)) {
    for (const key of Object.keys(sent)) {
      if (!(key in parsed)) return `${path}.${key}`;
      const found = undeclared(sent[key], parsed[key], `${path}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
