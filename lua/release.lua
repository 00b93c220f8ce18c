--[[
release: gives back what an unpaid order reserved (cancel, expiry, a failed create, a
reservation whose order never reached MySQL). Idempotent: the reservation record is removed, so
a second release of the same order finds nothing and changes nothing. Only the buyer's own
reservation is released: a caller naming another buyer (an order number that collided, a stale
compensation) releases nothing.

KEYS[1]  tier hash {total, locked, sold}
KEYS[2]  tier buyers hash  userId -> tickets in active orders
KEYS[3]  reservations hash orderNo -> JSON record (see reserve.lua)
KEYS[4]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[5]  seat-hours hash   userId -> seat-hours in unpaid orders (see reserve.lua)
ARGV[1]  order number
ARGV[2]  the order's buyer (user id)

Returns  1  released
         0  nothing reserved under this number for this buyer (released before, paid, never
            reserved, or reserved by another buyer)
        -1  a paid order's record kept by an older version: not released (it keeps its seats)
]]
local order_no = ARGV[1]
if order_no == nil or order_no == "" then return redis.error_reply("ERR bad order number") end
if not tonumber(ARGV[2]) then return redis.error_reply("ERR bad user") end

local raw = redis.call("HGET", KEYS[3], order_no)
if not raw then return 0 end
local r = cjson.decode(raw)
if r.u ~= tonumber(ARGV[2]) then return 0 end
if r.st ~= "p" then return -1 end

-- Never below zero: after a partial rebuild the counters may already exclude this order.
local function take(hash, field, n)
  local have = tonumber(redis.call("HGET", hash, field) or "0")
  if have <= n then
    redis.call("HDEL", hash, field)
  else
    redis.call("HINCRBY", hash, field, -n)
  end
end

local user = ARGV[2]
if r.q > 0 then
  local locked = tonumber(redis.call("HGET", KEYS[1], "locked") or "0")
  if locked > 0 then redis.call("HINCRBY", KEYS[1], "locked", -math.min(r.q, locked)) end
  take(KEYS[2], user, r.q)
elseif #r.s > 0 then
  take(KEYS[5], user, #r.s) -- an hourly booking: its seat-hours are no longer unpaid
end
for _, slot in ipairs(r.s) do
  -- Only this order's claim: the slot may belong to a newer order by now.
  if redis.call("HGET", KEYS[4], slot) == order_no .. "|p" then
    redis.call("HDEL", KEYS[4], slot)
  end
end
redis.call("HDEL", KEYS[3], order_no)
return 1
