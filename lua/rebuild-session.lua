--[[
rebuild-session: replaces a session's sale state in Redis with the numbers read from MySQL, and
marks it ready. Runs only for the holder of the session's rebuild lock, so two processes that
both noticed the lost state cannot interleave their writes. Every key it writes expires after
the session ends plus a grace period (includes/session_keys): the ready marker first, so a
session whose keys expired is simply rebuilt on its next use.

KEYS[1]  ready marker of the session
KEYS[2]  rebuild lock of the session (string holding the holder's token)
KEYS[3]  reservations hash orderNo -> JSON record (see reserve.lua)
KEYS[4]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[5]  disabled seats set
KEYS[6]  seat-hours hash   userId -> seat-hours in unpaid orders (see reserve.lua)
KEYS[7..] for each tier in ARGV[2], in that order: its tier hash, then its buyers hash
KEYS[last] the session's generation key
ARGV[1]  the lock token
ARGV[2]  JSON: {
           "tiers": [{"id": n, "total": n, "locked": n, "sold": n, "buyers": {"userId": n}}],
           "reservations": {"orderNo": record},   -- active orders, record as in reserve.lua
           "claims": {"slot": "orderNo|p"},
           "disabled": ["seatId"],
           "seatHours": {"userId": n}
         }
ARGV[3]  when the keys expire, ms since the epoch (the session's end plus the grace period)
ARGV[4]  the least they live from now, ms (a session used after its end lives this long)
ARGV[5]  the rebuild's generation: the session's count of rebuilds in MySQL, counted up by the
         transaction that read ARGV[2] (table sale_state_generations)
The ready marker's value is Redis's time of the rebuild in microseconds (adopt-reservation.lua
compares it with the reserve's); the generation key's is that time, "/", and the generation:
reserve.lua answers the generation while both name the same rebuild, and a create's commit
compares it with MySQL's (lib/orders/committer.ts). A rebuild by a version that knows no
generation writes the marker only: the two then differ, and the generation is not known.

Returns  { 1, tiers, reservations }  rebuilt
         { 0, 0, 0 }                 the lock is not ours (expired or taken): nothing written
Errors   "ERR bad ..." when the document does not match the keys (nothing written)
Includes includes/session_keys (redis_now, SESSION_KEY_MARGIN_MS)
]]
--- @include "includes/session_keys"

if redis.call("GET", KEYS[2]) ~= ARGV[1] then return { 0, 0, 0 } end
local expire_at = tonumber(ARGV[3])
local min_life = tonumber(ARGV[4])
local generation = tonumber(ARGV[5])
if not expire_at or not min_life or min_life < 1 then
  return redis.error_reply("ERR bad expiry")
end
if not generation or generation < 1 or generation % 1 ~= 0 then
  return redis.error_reply("ERR bad generation")
end
local ok, state = pcall(cjson.decode, ARGV[2])
if not ok or type(state) ~= "table" or type(state.tiers) ~= "table" then
  return redis.error_reply("ERR bad state document")
end
if #KEYS ~= 7 + 2 * #state.tiers then return redis.error_reply("ERR bad tier keys") end
for _, t in ipairs(state.tiers) do
  if not (tonumber(t.total) and tonumber(t.locked) and tonumber(t.sold)) then
    return redis.error_reply("ERR bad tier numbers")
  end
end

redis.call("DEL", KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
for i, t in ipairs(state.tiers) do
  local tier, buyers = KEYS[5 + 2 * i], KEYS[6 + 2 * i]
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
for user, n in pairs(state.seatHours or {}) do
  redis.call("HSET", KEYS[6], user, n)
end
local now, now_us = redis_now()
expire_at = math.max(expire_at, now + min_life)
redis.call("SET", KEYS[1], string.format("%d", now_us))
redis.call("SET", KEYS[#KEYS], string.format("%d/%d", now_us, generation))
redis.call("PEXPIREAT", KEYS[1], expire_at)
for i = 3, #KEYS do
  redis.call("PEXPIREAT", KEYS[i], expire_at + SESSION_KEY_MARGIN_MS)
end
return { 1, #state.tiers, count }
