-- 012: token revocations by expiry.
-- Every process copies the unexpired revocations into memory whenever its watch of the revocation
-- channel comes up (lib/accounts/revocation_view.ts); the table keeps expired rows, so without
-- this index that copy would read all of them.
CREATE INDEX idx_token_revocations_expiry ON token_revocations (expires_at);
