/** applyPlan's shows, sessions and tiers (each tier with its stock row). */
import type { PlannedSession, PlannedShow, PlannedTier } from "./plan.ts";
import type { ImportWriter } from "./apply_writer.ts";

export async function applyShows(w: ImportWriter, shows: PlannedShow[]): Promise<void> {
  for (const s of shows) {
    await w.once("show", s.key, async (tx) =>
      (await tx.exec(
        `INSERT INTO shows (name, type, venue, city, description, poster_url, start_time,
                            end_time, status, is_hot, is_recommend, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          s.name,
          s.type,
          s.venue,
          s.city,
          s.description,
          s.posterUrl,
          s.start,
          s.end,
          s.status,
          s.isHot,
          s.isRecommend,
          s.deletedAt,
        ],
      )).insertId);
  }
}

export async function applySessions(w: ImportWriter, sessions: PlannedSession[]): Promise<void> {
  for (const s of sessions) {
    const showId = w.maps.show.get(s.showKey);
    if (showId === undefined) {
      w.missing("session", s.key, "its show");
      continue;
    }
    await w.once("session", s.key, async (tx) =>
      (await tx.exec(
        `INSERT INTO sessions (show_id, name, start_time, end_time, sale_start_time,
                               sale_end_time, status, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [showId, s.name, s.start, s.end, s.saleStart, s.saleEnd, s.status, s.deletedAt],
      )).insertId);
  }
}

export async function applyTiers(w: ImportWriter, tiers: PlannedTier[]): Promise<void> {
  for (const t of tiers) {
    const showId = w.maps.show.get(t.showKey);
    const sessionId = w.maps.session.get(t.sessionKey);
    if (showId === undefined || sessionId === undefined) {
      w.missing("tier", t.key, "its session");
      continue;
    }
    await w.onceIn(sessionId, "tier", t.key, async (tx) => {
      const { insertId } = await tx.exec(
        `INSERT INTO tickets (show_id, session_id, name, price, limit_count, status, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [showId, sessionId, t.name, t.price, t.limitCount, t.status, t.deletedAt],
      );
      // Locked and sold come with the orders, one transaction each.
      await tx.exec(
        "INSERT INTO ticket_stock (ticket_id, total_stock, locked_stock, sold_stock) VALUES (?, ?, 0, 0)",
        [insertId, t.totalStock],
      );
      return insertId;
    });
  }
}
