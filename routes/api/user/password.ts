import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { invalid } from "#lib/platform/errors.ts";
import { changePassword } from "#lib/accounts/users.ts";

const Old = z.string().min(1).max(200);
const New = z.string().min(6).max(72);

export const PUT = defineRoute({
  summary: "Change the caller's password",
  description: "Every other token of the caller stops working; the one used here keeps working. " +
    "`oldPassword` and `newPassword` come in the JSON body or, as the reference's mini-program " +
    "sends them, as query parameters (the body wins when both are sent; a `userId` is ignored).",
  auth: "user",
  query: z.object({ oldPassword: Old.optional(), newPassword: New.optional() }),
  body: z.object({ oldPassword: Old.optional(), newPassword: New.optional() }),
  bodyOptional: true,
  data: z.null(),
  handler: async ({ ctx, caller, body, query, address }) => {
    const oldPassword = body.oldPassword ?? query.oldPassword;
    const newPassword = body.newPassword ?? query.newPassword;
    if (oldPassword === undefined) throw invalid("oldPassword", "is required");
    if (newPassword === undefined) throw invalid("newPassword", "is required");
    await changePassword(ctx, caller, { oldPassword, newPassword, address });
    return null;
  },
});
