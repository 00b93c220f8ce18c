import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { legacyHashReport } from "#lib/accounts/legacy_passwords.ts";

const count = z.number().int();

export const GET = defineRoute({
  summary: "Accounts still on a password hash imported from the reference system (admin)",
  description: "BCrypt and unsalted MD5 hashes are replaced by scrypt at their owner's next " +
    "successful login; `disabled` counts imported accounts the reference had disabled.",
  auth: "admin",
  data: z.object({ users: count, legacy: count, bcrypt: count, md5: count, disabled: count }),
  handler: ({ ctx }) => legacyHashReport(ctx),
});
