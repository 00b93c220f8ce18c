/**
 * Buyers and admins: registration, login, profile, password change, logout.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { isDuplicateKey } from "#lib/platform/db.ts";
import { AppError, notFound } from "#lib/platform/errors.ts";
import { countAttempt, countRegistration, forgiveAttempt } from "./login_throttle.ts";
import { hashPassword, needsRehash, verifyAgainstNobody, verifyPassword } from "./passwords.ts";
import { type Caller, issueToken, revokeOtherTokens, revokeToken, type Role } from "./tokens.ts";

export interface NewUser {
  username: string;
  password: string;
  phone: string;
  nickname?: string;
  email?: string;
}

export interface UserInfo {
  id: number;
  username: string;
  nickname: string | null;
  phone: string | null;
  email: string | null;
  role: Role;
}

export async function registerUser(
  ctx: AppContext,
  input: NewUser & { address: string },
): Promise<{ userId: number; username: string }> {
  await countRegistration(ctx, input.address);
  const hash = await hashPassword(input.password);
  try {
    const { insertId } = await ctx.db.exec(
      `INSERT INTO users (username, password_hash, phone, nickname, email, role)
       VALUES (?, ?, ?, ?, ?, 'user')`,
      [input.username, hash, input.phone, input.nickname ?? input.username, input.email ?? null],
    );
    return { userId: insertId, username: input.username };
  } catch (e) {
    if (isDuplicateKey(e)) {
      throw new AppError("USERNAME_TAKEN", `username "${input.username}" is taken`);
    }
    throw e;
  }
}

export async function login(
  ctx: AppContext,
  input: { username: string; password: string; address: string },
): Promise<
  { userId: number; username: string; nickname: string | null; token: string; expiresIn: number }
> {
  const [user] = await ctx.db.rows<
    { id: number; username: string; nickname: string | null; password_hash: string; role: Role }
  >(
    "SELECT id, username, nickname, password_hash, role FROM users WHERE username = ?",
    [input.username],
  );
  // Counted before the check, under the account the database resolved: every spelling of one
  // username, and every attempt of a burst, counts against the same limit.
  const attempt = await countAttempt(
    ctx,
    user ? { userId: user.id } : { unknownName: input.username },
    input.address,
  );
  const ok = user
    ? await verifyPassword(input.password, user.password_hash)
    : await verifyAgainstNobody(input.password);
  if (!user || !ok) {
    // One message for both causes: the reply must not reveal which usernames exist.
    throw new AppError("UNAUTHORIZED", "wrong username or password");
  }
  await forgiveAttempt(ctx, attempt);
  if (needsRehash(user.password_hash)) {
    // An imported legacy hash becomes scrypt now that the password is known; compare-and-set,
    // so a password change made meanwhile is not overwritten.
    await ctx.db.exec("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?", [
      await hashPassword(input.password),
      user.id,
      user.password_hash,
    ]);
  }
  const { token, expiresIn } = await issueToken(ctx, { id: user.id, role: user.role });
  return { userId: user.id, username: user.username, nickname: user.nickname, token, expiresIn };
}

export async function getUserInfo(ctx: AppContext, userId: number): Promise<UserInfo> {
  const [user] = await ctx.db.rows<UserInfo>(
    "SELECT id, username, nickname, phone, email, role FROM users WHERE id = ?",
    [userId],
  );
  if (!user) throw notFound("user");
  return user;
}

export async function updateUserInfo(
  ctx: AppContext,
  userId: number,
  changes: { nickname?: string; phone?: string; email?: string },
): Promise<void> {
  const sets: string[] = [];
  const values: string[] = [];
  for (const field of ["nickname", "phone", "email"] as const) {
    if (changes[field] !== undefined) {
      sets.push(`${field} = ?`);
      values.push(changes[field]!);
    }
  }
  if (sets.length === 0) return;
  const { affectedRows } = await ctx.db.exec(
    `UPDATE users SET ${sets.join(", ")} WHERE id = ?`,
    [...values, userId],
  );
  if (affectedRows === 0) throw notFound("user");
}

/**
 * Changes the caller's password; every other token of the caller stops working. Old-password
 * checks are throttled like logins. The other tokens are revoked before the new hash is written:
 * if the revocation cannot be recorded nothing changes, and if the write then fails the caller
 * has lost only their other sessions, never kept a stolen one alive under a new password.
 */
export async function changePassword(
  ctx: AppContext,
  caller: Caller,
  input: { oldPassword: string; newPassword: string; address: string },
): Promise<void> {
  const [user] = await ctx.db.rows<{ password_hash: string }>(
    "SELECT password_hash FROM users WHERE id = ?",
    [caller.userId],
  );
  if (!user) throw notFound("user");
  const attempt = await countAttempt(ctx, { userId: caller.userId }, input.address);
  if (!await verifyPassword(input.oldPassword, user.password_hash)) {
    throw new AppError("VALIDATION_FAILED", "oldPassword: does not match the current password", {
      detail: { field: "oldPassword" },
    });
  }
  await forgiveAttempt(ctx, attempt);
  const hash = await hashPassword(input.newPassword);
  await revokeOtherTokens(ctx, caller);
  await ctx.db.exec("UPDATE users SET password_hash = ? WHERE id = ?", [hash, caller.userId]);
}

export async function logout(ctx: AppContext, caller: Caller): Promise<void> {
  await revokeToken(ctx, caller);
}

/**
 * Creates the admin named by ADMIN_USERNAME/ADMIN_PASSWORD (or the demo's admin/123456), or
 * makes the existing user of that name an admin with that password.
 */
export async function ensureAdmin(
  ctx: AppContext,
  username: string,
  password: string,
  options: { onlyCreate?: boolean } = {},
): Promise<{ created: boolean }> {
  const [user] = await ctx.db.rows<{ id: number; password_hash: string; role: Role }>(
    "SELECT id, password_hash, role FROM users WHERE username = ?",
    [username],
  );
  if (!user) {
    try {
      await ctx.db.exec(
        `INSERT INTO users (username, password_hash, nickname, role) VALUES (?, ?, ?, 'admin')`,
        [username, await hashPassword(password), username],
      );
      return { created: true };
    } catch (e) {
      // Another process created it at the same moment: fall through to the update.
      if (!isDuplicateKey(e)) throw e;
      return await ensureAdmin(ctx, username, password, options);
    }
  }
  if (options.onlyCreate) return { created: false };
  if (user.role !== "admin" || !await verifyPassword(password, user.password_hash)) {
    await ctx.db.exec("UPDATE users SET role = 'admin', password_hash = ? WHERE id = ?", [
      await hashPassword(password),
      user.id,
    ]);
  }
  return { created: false };
}
