/**
 * Password hashing with scrypt (memory-hard), stored as `scrypt$N$r$p$salt$hash` so the cost can
 * rise later without breaking old hashes. Comparison is constant-time.
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { KDF_SLOTS } from "./kdf_slots.ts";
import { legacyKind, verifyLegacyPassword } from "./legacy_passwords.ts";

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return KDF_SLOTS.run(() => deriveNow(password, salt, n, r, p));
}

function deriveNow(
  password: string,
  salt: Buffer,
  n: number,
  r: number,
  p: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      salt,
      KEY_LENGTH,
      { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
      (e, key) => e ? reject(e) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // Hashes imported from the reference system (BCrypt, MD5) until their owner's next login.
  if (legacyKind(stored)) return await verifyLegacyPassword(password, stored);
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], "base64");
  const expected = Buffer.from(parts[5], "base64");
  const key = await derive(password, salt, n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of one real check, for a login whose user does not exist: the reply must not
 * tell an unknown user from a wrong password, not even by its timing.
 */
export async function verifyAgainstNobody(password: string): Promise<false> {
  dummy ??= hashPassword(crypto.randomUUID());
  await verifyPassword(password, await dummy);
  return false;
}

/** True for a stored hash that a successful login should replace with a fresh scrypt hash. */
export function needsRehash(stored: string): boolean {
  return legacyKind(stored) !== null;
}
