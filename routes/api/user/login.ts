import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { login } from "#lib/accounts/users.ts";

export const POST = defineRoute({
  summary: "Log in and get a bearer token",
  description: "Wrong username and wrong password get the same 401; repeated failures per " +
    "username or per client address get 429 with Retry-After.",
  auth: "public",
  body: z.object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(200),
  }),
  data: z.object({
    userId: z.number().int(),
    username: z.string(),
    nickname: z.string().nullable(),
    token: z.string(),
    expiresIn: z.number().int(),
  }),
  handler: ({ ctx, body, address }) => login(ctx, { ...body, address }),
});
