--[[
adopt-reservation: records the reservation of an order that MySQL has just committed, when Redis
lost it in between: Redis restarted (or the session was rebuilt) after the order was reserved
and before its MySQL commit, so the rebuild read MySQL without it. Called after every successful
create; in the usual case the reservation is there and nothing is written.

Adopts only when the session's state was built after the order was reserved (the ready marker
holds Redis's time of its rebuild; the reserve answered with Redis's time of the reservation:
one clock, whatever instances did the two): a reservation missing from an older state was
released (a cancel, an expiry), not lost, and must stay released.

KEYS[1]  ready marker of the session (value: Redis's time of its rebuild, in microseconds)
KEYS[2]  tier hash {total, locked, sold}
KEYS[3]  tier buyers hash  userId -> tickets in active orders
KEYS[4]  reservations hash orderNo -> JSON record (see reserve.lua)
KEYS[5]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[6]  seat-hours hash   userId -> seat-hours in unpaid orders (see reserve.lua)
ARGV[1]  order number
ARGV[2]  buyer's user id
ARGV[3]  ticket (tier) id
ARGV[4]  quantity counted against stock and limit (0 for hourly bookings)
ARGV[5]  Redis's time of the reservation, in microseconds (reserve.lua's reply)
ARGV[6..] the order's slots

Returns  1  adopted (the record, the tier's locked count, the buyer's count and the claims)
         0  nothing to do: the reservation is there, or the state is older than it
         2  the state is not built: the caller rebuilds it (or waits for the rebuild under way,
            which may have read MySQL before this order's commit) and calls again
Errors   "ERR bad ..." when an argument is malformed (nothing written)
Includes includes/session_keys (redis_now, expire_with_session)
]]
--- @include "includes/session_keys"

local order_no = ARGV[1]
local user = ARGV[2]
local qty = tonumber(ARGV[4])
local reserved_at = tonumber(ARGV[5])
if order_no == nil or order_no == "" then return redis.error_reply("ERR bad order number") end
if not tonumber(user) then return redis.error_reply("ERR bad user") end
if not tonumber(ARGV[3]) then return redis.error_reply("ERR bad ticket") end
if not qty or qty < 0 or qty % 1 ~= 0 then return redis.error_reply("ERR bad quantity") end
if not reserved_at then return redis.error_reply("ERR bad time") end

local built = redis.call("GET", KEYS[1])
if not built then return 2 end
if redis.call("HEXISTS", KEYS[4], order_no) == 1 then return 0 end
if (tonumber(built) or 0) < reserved_at then return 0 end

local slots = {}
for i = 6, #ARGV do
  local slot = ARGV[i]
  slots[#slots + 1] = slot
  redis.call("HSETNX", KEYS[5], slot, order_no .. "|p")
end
if #slots > 0 then expire_with_session(KEYS[1], KEYS[5]) end
if qty > 0 then
  redis.call("HINCRBY", KEYS[2], "locked", qty)
  redis.call("HINCRBY", KEYS[3], user, qty)
  expire_with_session(KEYS[1], KEYS[3])
else
  redis.call("HINCRBY", KEYS[6], user, #slots)
  expire_with_session(KEYS[1], KEYS[6])
end
local now = redis_now()
redis.call("HSET", KEYS[4], order_no, cjson.encode({
  u = tonumber(user), t = tonumber(ARGV[3]), q = qty, st = "p", c = now, s = slots,
}))
expire_with_session(KEYS[1], KEYS[4])
return 1
