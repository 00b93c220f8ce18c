import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { getUserInfo, updateUserInfo } from "#lib/accounts/users.ts";

export const GET = defineRoute({
  summary: "The caller's profile",
  auth: "user",
  data: z.object({
    id: z.number().int(),
    username: z.string(),
    nickname: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    role: z.enum(["user", "admin"]),
  }),
  handler: ({ ctx, caller }) => getUserInfo(ctx, caller.userId),
});

export const PUT = defineRoute({
  summary: "Change the caller's nickname, phone or email",
  auth: "user",
  body: z.object({
    nickname: z.string().trim().min(1).max(64).optional(),
    phone: z.string().regex(/^1[3-9]\d{9}$/, "a mainland China mobile number").optional(),
    email: z.email().max(254).optional(),
  }),
  data: z.null(),
  handler: async ({ ctx, caller, body }) => {
    await updateUserInfo(ctx, caller.userId, body);
    return null;
  },
});
