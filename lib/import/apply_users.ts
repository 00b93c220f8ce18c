/** applyPlan's users: new accounts, or (on request) links to accounts boxoffice already has. */
import type { PlannedUser } from "./plan.ts";
import { type ImportWriter, refuseDuplicate } from "./apply_writer.ts";

export async function applyUsers(w: ImportWriter, users: PlannedUser[]): Promise<void> {
  for (const u of users) {
    if (!w.maps.user.has(u.key) && await linkedOrTaken(w, u)) continue;
    await w.once("user", u.key, async (tx) =>
      (await tx.exec(
        `INSERT INTO users (username, password_hash, phone, nickname, email, role, created_at)
         VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, CURRENT_TIMESTAMP(3)))`,
        [u.username, u.passwordHash, u.phone, u.nickname, u.email, u.role, u.createdAt],
      ).catch(refuseDuplicate(`username "${u.username}" is taken`))).insertId);
  }
}

/**
 * When boxoffice has an account (not imported) of the user's username: links the user to it
 * with --link-existing-users, else reports it refused. False when there is no such account.
 */
async function linkedOrTaken(w: ImportWriter, u: PlannedUser): Promise<boolean> {
  const [existing] = await w.db.rows<{ id: number }>(
    "SELECT id FROM users WHERE username = ?",
    [u.username],
  ).catch(() => []);
  if (!existing) return false;
  w.counts.user.planned++;
  if (w.options.linkExistingUsers) {
    w.counts.user.linked++;
    if (!w.options.dryRun) {
      await w.db.exec(
        "INSERT IGNORE INTO import_map (kind, source_key, target_id) VALUES ('user', ?, ?)",
        [u.key, existing.id],
      );
    }
    w.maps.user.set(u.key, existing.id);
  } else {
    w.counts.user.refused++;
    w.unmapped.push({
      kind: "user",
      source: u.key,
      reason: `username "${u.username}" is taken in boxoffice by an account not imported ` +
        `(run with --link-existing-users to link them)`,
    });
  }
  return true;
}
