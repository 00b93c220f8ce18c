--[[
rebuild-session: replaces a session's sale state in Redis with the numbers read from MySQL, and
marks it ready. Runs only for the holder of the session's rebuild lock, so two processes that
both noticed the lost state cannot interleave their writes.

KEYS[1]  ready marker of the session
KEYS[2]  rebuild lock of the session (string holding the holder's token)
KEYS[3]  reservations hash orderNo -> JSON record (see reserve.lua)
KEYS[4]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[5]  disabled seats set
KEYS[6..] for each tier in ARGV[2], in that order: its tier hash, then its buyers hash
ARGV[1]  the lock token
ARGV[2]  JSON: {
           "tiers": [{"id": n, "total": n, "locked": n, "sold": n, "buyers": {"userId": n}}],
           "reservations": {"orderNo": record},   -- active orders, record as in reserve.lua
           "claims": {"slot": "orderNo|p"},
           "disabled": ["seatId"]
         }
ARGV[3]  now, ms since the epoch: the ready marker's value (adopt-reservation.lua compares it)

Returns  { 1, tiers, reservations }  rebuilt
         { 0, 0, 0 }                 the lock is not ours (expired or taken): nothing written
Errors   "ERR bad ..." when the document does not match the keys (nothing written)
]]
if redis.call("GET", KEYS[2]) ~= ARGV[1] then return { 0, 0, 0 } end
local ok, state = pcall(cjson.decode, ARGV[2])
if not ok or type(state) ~= "table" or type(state.tiers) ~= "table" then
  return redis.error_reply("ERR bad state document")
end
if #KEYS ~= 5 + 2 * #state.tiers then return redis.error_reply("ERR bad tier keys") end
for _, t in ipairs(state.tiers) do
  if not (tonumber(t.total) and tonumber(t.locked) and tonumber(t.sold)) then
    return redis.error_reply("ERR bad tier numbers")
  end
end

redis.call("DEL", KEYS[1], KEYS[3], KEYS[4], KEYS[5])
for i, t in ipairs(state.tiers) do
  local tier, buyers = KEYS[4 + 2 * i], KEYS[5 + 2 * i]
  redis.call("DEL", tier, buyers)
  redis.call("HSET", tier, "total", t.total, "locked", t.locked, "sold", t.sold)
  for user, n in pairs(t.buyers or {}) do
    redis.call("HSET", buyers, user, n)
  end
end
local count = 0
for order_no, record in pairs(state.reservations or {}) do
  redis.call("HSET", KEYS[3], order_no, cjson.encode(record))
  count = count + 1
end
for slot, claim in pairs(state.claims or {}) do
  redis.call("HSET", KEYS[4], slot, claim)
end
for _, seat in ipairs(state.disabled or {}) do
  redis.call("SADD", KEYS[5], seat)
end
redis.call("SET", KEYS[1], ARGV[3] or "1")
return { 1, #state.tiers, count }
