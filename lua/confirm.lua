--[[
confirm: an order was paid in MySQL; move its tickets from locked to sold, mark its seats sold in
the claims hash, and drop its reservation record: Redis keeps no record of sold orders (the
claims say which seats are sold; MySQL says the rest). Idempotent: a second confirm finds no
record and changes nothing.

KEYS[1]  tier hash {total, locked, sold}
KEYS[2]  reservations hash orderNo -> JSON record (see reserve.lua)
KEYS[3]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[4]  seat-hours hash   userId -> seat-hours in unpaid orders (see reserve.lua)
ARGV[1]  order number

Returns  1  confirmed
         2  a sold record kept by an older version: dropped (nothing else changed)
         0  no reservation under this number: confirmed before, or Redis lost it (the rebuild
            from MySQL counts the order as sold)
]]
local order_no = ARGV[1]
if order_no == nil or order_no == "" then return redis.error_reply("ERR bad order number") end

local raw = redis.call("HGET", KEYS[2], order_no)
if not raw then return 0 end
local r = cjson.decode(raw)
redis.call("HDEL", KEYS[2], order_no)
if r.st == "s" then return 2 end

if r.q > 0 then
  redis.call("HINCRBY", KEYS[1], "locked", -r.q)
  redis.call("HINCRBY", KEYS[1], "sold", r.q)
elseif #r.s > 0 then
  -- An hourly booking: its seat-hours are paid, no longer counted against the buyer's cap.
  local user = string.format("%d", r.u)
  local have = tonumber(redis.call("HGET", KEYS[4], user) or "0")
  if have <= #r.s then
    redis.call("HDEL", KEYS[4], user)
  else
    redis.call("HINCRBY", KEYS[4], user, -#r.s)
  end
end
for _, slot in ipairs(r.s) do
  redis.call("HSET", KEYS[3], slot, order_no .. "|s")
end
return 1
