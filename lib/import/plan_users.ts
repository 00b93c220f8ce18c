/** planImport's users: the reference's accounts, their legacy password hashes kept. */
import { legacyKind } from "#lib/accounts/legacy_passwords.ts";
import type { PlannedUser } from "./plan.ts";
import type { PlanContext } from "./plan_context.ts";
import type { SourceUser } from "./source_rows.ts";

export function planUsers(ctx: PlanContext): PlannedUser[] {
  const out: PlannedUser[] = [];
  for (const u of ctx.data.users) {
    const s = ctx.src("t_user", u.id);
    const username = u.username.trim();
    if (username.length < 1 || username.length > 32) {
      ctx.refuse("user", s, `username "${username}" is not 1-32 characters long`);
      continue;
    }
    const login = importedPasswordHash(u);
    if (login.locked) ctx.note("user", s, login.locked);
    out.push({
      key: ctx.key("t_user", u.id),
      username,
      passwordHash: login.hash,
      phone: u.phone?.slice(0, 20) ?? null,
      nickname: u.nickname?.slice(0, 64) ?? null,
      email: u.email?.slice(0, 254) ?? null,
      role: u.admin ? "admin" : "user",
      createdAt: ctx.at(u.createTime),
    });
  }
  return out;
}

/**
 * The password hash an imported account gets: the source's own when it can log in with it
 * (BCrypt or MD5, verified by lib/accounts/legacy_passwords.ts), else that hash behind a "!"
 * (which never verifies), with why in `locked`.
 */
export function importedPasswordHash(
  u: Pick<SourceUser, "password" | "enabled">,
): { hash: string; locked: string | null } {
  if (!u.enabled) {
    // Kept (orders point at the account) but locked, as it was in the source.
    return {
      hash: `!${u.password}`,
      locked: "disabled or deleted in the source: imported, cannot log in",
    };
  }
  if (legacyKind(u.password) === null) {
    return {
      hash: `!${u.password}`,
      locked: "password hash neither BCrypt nor MD5: imported, cannot log in",
    };
  }
  return { hash: u.password, locked: null };
}
