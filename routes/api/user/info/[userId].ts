import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { userInfoFor } from "#lib/accounts/profiles.ts";
import { GET as ownProfile } from "../info.ts";

export const GET = defineRoute({
  summary: "A profile by user id: the caller's own, or any for an admin",
  description: "403 for another user's id unless the caller is an admin (whether or not it " +
    "exists).",
  auth: "user",
  params: z.object({ userId: IdParam }),
  data: ownProfile.data,
  handler: ({ ctx, caller, params }) => userInfoFor(ctx, caller, params.userId),
});
