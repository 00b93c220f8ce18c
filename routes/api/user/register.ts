import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { registerUser } from "#lib/accounts/users.ts";

export const POST = defineRoute({
  summary: "Register a buyer account",
  auth: "public",
  body: z.object({
    username: z.string().regex(/^\w{3,32}$/, "3-32 letters, digits or _"),
    password: z.string().min(6).max(72),
    phone: z.string().regex(/^1[3-9]\d{9}$/, "a mainland China mobile number"),
    nickname: z.string().trim().min(1).max(64).optional(),
    email: z.email().max(254).optional(),
  }),
  data: z.object({ userId: z.number().int(), username: z.string() }),
  handler: ({ ctx, body, address }) => registerUser(ctx, { ...body, address }),
});
