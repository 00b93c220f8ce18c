import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { changePassword } from "#lib/accounts/users.ts";

export const PUT = defineRoute({
  summary: "Change the caller's password",
  description: "Every other token of the caller stops working; the one used here keeps working.",
  auth: "user",
  body: z.object({
    oldPassword: z.string().min(1).max(200),
    newPassword: z.string().min(6).max(72),
  }),
  data: z.null(),
  handler: async ({ ctx, caller, body, address }) => {
    await changePassword(ctx, caller, { ...body, address });
    return null;
  },
});
