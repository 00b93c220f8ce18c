/**
 * Password hashes imported from the reference system (`deno task import`): BCrypt (`$2a$...`,
 * written by its register) and unsalted MD5 hex (its seed rows). They are verified here, and a
 * successful login replaces them with scrypt (lib/accounts/users.ts), so they fade out as their
 * owners log in. A hash starting with `!` belongs to an account the reference had disabled or
 * deleted: it never verifies.
 *
 * ```ts
 * await verifyLegacyPassword("123456", "e10adc3949ba59abbe56e057f20f883e"); // true
 * legacyKind("$2a$10$..."); // "bcrypt"
 * ```
 */
import { Buffer } from "node:buffer";
import { createHash, timingSafeEqual } from "node:crypto";
import { bcrypt } from "#deps";
import { KDF_SLOTS } from "./kdf_slots.ts";
import type { AppContext } from "#lib/platform/context.ts";

export type LegacyKind = "bcrypt" | "md5";

// Spring's DelegatingPasswordEncoder writes "{bcrypt}" in front of the hash.
const BCRYPT = /^(\{bcrypt\})?\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const MD5_HEX = /^[0-9a-f]{32}$/i;

/** Which legacy format a stored hash is in, or null for scrypt and anything unknown. */
export function legacyKind(stored: string): LegacyKind | null {
  if (BCRYPT.test(stored)) return "bcrypt";
  if (MD5_HEX.test(stored)) return "md5";
  return null;
}

export async function verifyLegacyPassword(password: string, stored: string): Promise<boolean> {
  switch (legacyKind(stored)) {
    case "bcrypt":
      // BCrypt reads at most 72 bytes; the reference's register accepted no longer passwords.
      // As costly as a KDF: it takes one of the same bounded slots.
      return await KDF_SLOTS.run(() => bcrypt.compare(password, stored.replace(/^\{bcrypt\}/, "")));
    case "md5": {
      const actual = createHash("md5").update(password, "utf8").digest();
      return timingSafeEqual(actual, Buffer.from(stored, "hex"));
    }
    default:
      return false;
  }
}

export interface LegacyHashReport {
  /** Accounts in all. */
  users: number;
  /** Accounts still on an imported hash (they move to scrypt at their next login). */
  legacy: number;
  bcrypt: number;
  md5: number;
  /** Imported accounts the reference had disabled or deleted (they cannot log in). */
  disabled: number;
}

/** How many accounts still carry a hash imported from the reference system. */
export async function legacyHashReport(ctx: AppContext): Promise<LegacyHashReport> {
  const [row] = await ctx.db.read.rows<
    { users: number; bcrypt: number; md5: number; disabled: number }
  >(
    `SELECT COUNT(*) AS users,
            CAST(COALESCE(SUM(password_hash LIKE '$2_$%' OR password_hash LIKE '{bcrypt}$2_$%'), 0)
                 AS SIGNED) AS bcrypt,
            CAST(COALESCE(SUM(password_hash REGEXP '^[0-9a-fA-F]{32}$'), 0) AS SIGNED) AS md5,
            CAST(COALESCE(SUM(password_hash LIKE '!%'), 0) AS SIGNED) AS disabled
       FROM users`,
  );
  const bcryptCount = Number(row.bcrypt);
  const md5 = Number(row.md5);
  return {
    users: Number(row.users),
    legacy: bcryptCount + md5,
    bcrypt: bcryptCount,
    md5,
    disabled: Number(row.disabled),
  };
}
