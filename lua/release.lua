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
ARGV[1]  order number
ARGV[2]  the order's buyer (user id)

Returns  1  released
         0  nothing reserved under this number for this buyer (released before, never
            reserved, or reserved by another buyer)
        -1  the order is sold here: not released (a paid order keeps its tickets)
]]
local order_no = ARGV[1]
if order_no == nil or order_no == "" then return redis.error_reply("ERR bad order number") end
if not tonumber(ARGV[2]) then return redis.error_reply("ERR bad user") end

local raw = redis.call("HGET", KEYS[3], order_no)
if not raw then return 0 end
local r = cjson.decode(raw)
if r.u ~= tonumber(ARGV[2]) then return 0 end
if r.st ~= "p" then return -1 end

if r.q > 0 then
  -- Never below zero: after a partial rebuild the counters may already exclude this order.
  local locked = tonumber(redis.call("HGET", KEYS[1], "locked") or "0")
  if locked > 0 then redis.call("HINCRBY", KEYS[1], "locked", -math.min(r.q, locked)) end
  local user = tostring(r.u)
  local have = tonumber(redis.call("HGET", KEYS[2], user) or "0")
  if have <= r.q then
    redis.call("HDEL", KEYS[2], user)
  else
    redis.call("HINCRBY", KEYS[2], user, -r.q)
  end
end
for _, slot in ipairs(r.s) do
  -- Only this order's claim: the slot may belong to a newer order by now.
  if redis.call("HGET", KEYS[4], slot) == order_no .. "|p" then
    redis.call("HDEL", KEYS[4], slot)
  end
end
redis.call("HDEL", KEYS[3], order_no)
return 1
