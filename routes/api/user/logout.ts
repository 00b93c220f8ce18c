import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { logout } from "#lib/accounts/users.ts";

export const POST = defineRoute({
  summary: "Log out: this token is refused from now on",
  auth: "user",
  data: z.null(),
  handler: async ({ ctx, caller }) => {
    await logout(ctx, caller);
    return null;
  },
});
