import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { refreshToken } from "#lib/accounts/profiles.ts";

export const POST = defineRoute({
  summary: "A new token for the caller; the token used for this call is revoked",
  auth: "user",
  data: z.object({ userId: z.number().int(), token: z.string(), expiresIn: z.number().int() }),
  handler: ({ ctx, caller }) => refreshToken(ctx, caller),
});
