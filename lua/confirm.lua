--[[
confirm: an order was paid in MySQL; move its reservation from locked to sold. Idempotent: a
second confirm finds the record already sold and changes nothing.

KEYS[1]  tier hash {total, locked, sold}
KEYS[2]  reservations hash orderNo -> JSON record (see reserve.lua)
KEYS[3]  claims hash       slot -> "orderNo|p" / "orderNo|s"
ARGV[1]  order number

Returns  1  confirmed
         2  confirmed before (nothing changed)
         0  no reservation under this number (Redis lost it; the rebuild from MySQL will
            count the order as sold)
]]
local order_no = ARGV[1]
if order_no == nil or order_no == "" then return redis.error_reply("ERR bad order number") end

local raw = redis.call("HGET", KEYS[2], order_no)
if not raw then return 0 end
local r = cjson.decode(raw)
if r.st == "s" then return 2 end

if r.q > 0 then
  redis.call("HINCRBY", KEYS[1], "locked", -r.q)
  redis.call("HINCRBY", KEYS[1], "sold", r.q)
end
for _, slot in ipairs(r.s) do
  redis.call("HSET", KEYS[3], slot, order_no .. "|s")
end
r.st = "s"
redis.call("HSET", KEYS[2], order_no, cjson.encode(r))
return 1
