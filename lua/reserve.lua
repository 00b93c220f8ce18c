--[[
reserve: admits one order into a session, all or nothing.

Checks, in order, and writes nothing unless every check passes:
  the session's state is built (else NOT_READY: the caller rebuilds it from MySQL),
  the order number is not reserved already (then ALREADY: a retry of the same call),
  the buyer's duplicate-request key is free (else DUPLICATE with the first order's number),
  the tier has the stock (general admission and seated tiers; hourly bookings pass count 0),
  the buyer stays within the tier's per-user limit across their active orders,
  every slot (a seat, or a seat-hour "seatId@hour") is not disabled, not in an order, and not
  held by another buyer (holds of this buyer are taken over).
Then: locks the stock, counts it for the buyer, claims the slots for the order, drops the
buyer's holds on them, records the reservation under the order number, and sets the dedup key.

KEYS[1]  ready marker of the session         (absent: state lost, rebuild first)
KEYS[2]  tier hash {total, locked, sold}
KEYS[3]  tier buyers hash  userId -> tickets in active orders
KEYS[4]  reservations hash orderNo -> JSON record
KEYS[5]  claims hash       slot -> "orderNo|p" (pending) or "orderNo|s" (sold)
KEYS[6]  disabled seats set
KEYS[7]  dedup key of this request ("" when none)
KEYS[8..] one hold key per slot, in the order of the slots in ARGV
KEYS[last] the buyer's hold index in this session (see hold-seats.lua): slots taken into the
         order leave it
ARGV[1]  order number
ARGV[2]  buyer's user id
ARGV[3]  ticket (tier) id
ARGV[4]  quantity (1..1000) counted against stock and limit (0 for hourly bookings)
ARGV[5]  per-user limit of the tier (1..10; ignored when the quantity is 0)
ARGV[6]  now, ms since the epoch
ARGV[7]  lifetime of the dedup key in ms (ignored when KEYS[7] is "")
ARGV[8..] the slots, as many as hold keys

Returns { code, detail }:
   1, available after      reserved
   3, 0                    this order number was reserved already (nothing changed)
   0, 0                    NOT_READY
   2, orderNo              DUPLICATE: the dedup key names an earlier order
  -1, available            SOLD_OUT
  -2, tickets held         LIMIT_EXCEEDED
  -3, "slot,slot"          SEAT_UNAVAILABLE: the slots in the way
Errors   "ERR bad ..." when an argument is malformed (nothing written)
Includes includes/slots (seat_of, slot_taken: the one "is this slot taken" rule)
]]
--- @include "includes/slots"

local order_no = ARGV[1]
local user = ARGV[2]
local ticket = ARGV[3]
local qty = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local now = tonumber(ARGV[6])
local dedup_ttl = tonumber(ARGV[7])
local nslots = #ARGV - 7

if order_no == nil or order_no == "" then return redis.error_reply("ERR bad order number") end
if not tonumber(user) then return redis.error_reply("ERR bad user") end
if not tonumber(ticket) then return redis.error_reply("ERR bad ticket") end
if not qty or qty < 0 or qty > 1000 or qty % 1 ~= 0 then return redis.error_reply("ERR bad quantity") end
if qty > 0 and (not limit or limit < 1 or limit % 1 ~= 0) then return redis.error_reply("ERR bad limit") end
if not now then return redis.error_reply("ERR bad time") end
if #KEYS ~= 8 + nslots then return redis.error_reply("ERR bad slot keys") end
if qty == 0 and nslots == 0 then return redis.error_reply("ERR nothing to reserve") end

if redis.call("EXISTS", KEYS[1]) == 0 then return { 0, 0 } end
if redis.call("HEXISTS", KEYS[4], order_no) == 1 then return { 3, 0 } end
if KEYS[7] ~= "" then
  local first = redis.call("GET", KEYS[7])
  if first then return { 2, first } end
end

local available = 0
local have = 0
if qty > 0 then
  local tier = redis.call("HMGET", KEYS[2], "total", "locked", "sold")
  if not tier[1] then return { 0, 0 } end -- tier added after the session was built
  available = tonumber(tier[1]) - tonumber(tier[2]) - tonumber(tier[3])
  if available < qty then return { -1, available } end
  have = tonumber(redis.call("HGET", KEYS[3], user) or "0")
  if have + qty > limit then return { -2, have } end
end

local blocked = {}
for i = 1, nslots do
  local slot = ARGV[7 + i]
  local seat = seat_of(slot)
  if not seat then return redis.error_reply("ERR bad slot") end
  if slot_taken(KEYS[5], KEYS[6], KEYS[7 + i], slot, seat, user) then
    blocked[#blocked + 1] = slot
  end
end
if #blocked > 0 then return { -3, table.concat(blocked, ",") } end

-- Every check passed: write.
if qty > 0 then
  redis.call("HINCRBY", KEYS[2], "locked", qty)
  redis.call("HINCRBY", KEYS[3], user, qty)
end
local slots = {}
for i = 1, nslots do
  local slot = ARGV[7 + i]
  slots[i] = slot
  redis.call("HSET", KEYS[5], slot, order_no .. "|p")
  redis.call("DEL", KEYS[7 + i])
  redis.call("ZREM", KEYS[#KEYS], slot)
end
redis.call("HSET", KEYS[4], order_no, cjson.encode({
  u = tonumber(user), t = tonumber(ticket), q = qty, st = "p", c = now, s = slots,
}))
if KEYS[7] ~= "" then
  redis.call("SET", KEYS[7], order_no, "PX", dedup_ttl)
end
return { 1, available - qty }
