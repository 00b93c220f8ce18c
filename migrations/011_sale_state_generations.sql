-- 011: which rebuild of a session's sale state in Redis is the current one.
-- Every rebuild from MySQL (lib/sale/session_rebuild.ts) counts the session's generation up in
-- the transaction that reads the state, and writes it into Redis with the state; a create's
-- group commit reads it under a shared lock. When the generation the reserve saw is the one the
-- commit reads, no rebuild can have missed the order (an earlier one would have counted up, a
-- later one waits for the commit), so the create needs no post-commit check of Redis.
CREATE TABLE sale_state_generations (
  session_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  generation BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
