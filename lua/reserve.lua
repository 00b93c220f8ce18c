--[[
reserve: admits one order into a session, all or nothing.

Checks, in order, and writes nothing unless every check passes:
  the session's state is built (else NOT_READY: the caller rebuilds it from MySQL),
  the order number is not reserved already (then ALREADY: another order has it, or this is a
  retry of the same call),
  the buyer's duplicate-request key is free (else DUPLICATE with the first order's number),
  the tier has the stock (general admission and seated tiers; hourly bookings pass count 0),
  the buyer stays within the tier's per-user limit across their active orders,
  every slot (a seat, or a seat-hour "seatId@hour") is not disabled, not in an order, and not
  held by another buyer (holds of this buyer are taken over),
  an hourly booking keeps the buyer within the session's seat-hour cap, holds and unpaid
  orders counted together.
Then: locks the stock (or counts the seat-hours), counts it for the buyer, claims the slots for
the order, drops the buyer's holds on them, records the reservation under the order number, and
sets the dedup key. Keys it creates live as long as the session's (includes/session_keys).

KEYS[1]  ready marker of the session         (absent: state lost, rebuild first)
KEYS[2]  tier hash {total, locked, sold}
KEYS[3]  tier buyers hash  userId -> tickets in active orders
KEYS[4]  reservations hash orderNo -> JSON record
KEYS[5]  claims hash       slot -> "orderNo|p" (pending) or "orderNo|s" (sold)
KEYS[6]  disabled seats set
KEYS[7]  dedup key of this request; without one (ARGV[7] is 0) a key of the session that is never
         written, so every key is in the session's slot, as Redis Cluster requires
KEYS[8]  seat-hours hash   userId -> seat-hours in the buyer's unpaid orders (hourly bookings)
KEYS[9..] one hold key per slot, in the order of the slots in ARGV
KEYS[last-1] the session's generation key ("<rebuilt at µs>/<generation>", see rebuild-session.lua)
KEYS[last] the buyer's hold index in this session (see hold-seats.lua): slots taken into the
         order leave it
ARGV[1]  order number
ARGV[2]  buyer's user id
ARGV[3]  ticket (tier) id
ARGV[4]  quantity (1..1000) counted against stock and limit (0 for hourly bookings)
ARGV[5]  per-user limit of the tier (1..10; ignored when the quantity is 0)
ARGV[6]  hourly bookings (quantity 0): most seat-hours the buyer may hold and have in unpaid
         orders in this session, these included (ignored otherwise)
ARGV[7]  lifetime of the dedup key in ms (0: no dedup key)
ARGV[8..] the slots, as many as hold keys

An hourly booking's seat-hours are counted for the buyer in KEYS[8] until the order is paid or
released (confirm.lua, release.lua); the cap counts them with the buyer's live holds.
The reservation's time (record "c") is Redis's clock (includes/session_keys), as is the ready
marker's: adopt-reservation.lua compares the two.

Returns { code, detail, reservedAtUs, generation }:
   1, available after, us, generation
                           reserved; us: Redis's time of the reservation, in microseconds;
                           generation: the rebuild the state comes from, when the
                           generation key and the ready marker name the same rebuild (0: not
                           known)
   3, 0                    this order number was reserved already (nothing changed)
   0, 0                    NOT_READY
   2, orderNo              DUPLICATE: the dedup key names an earlier order
  -1, available            SOLD_OUT
  -2, tickets held         LIMIT_EXCEEDED
  -3, "slot,slot"          SEAT_UNAVAILABLE: the slots in the way
  -4, seat-hours had       SEAT_HOURS_EXCEEDED: held and booked unpaid seat-hours before this
Errors   "ERR bad ..." when an argument is malformed (nothing written)
Includes includes/slots (seat_of, slot_taken: the one "is this slot taken" rule)
Includes includes/session_keys (redis_now, expire_with_session)
]]
--- @include "includes/slots"
--- @include "includes/session_keys"

local order_no = ARGV[1]
local user = ARGV[2]
local ticket = ARGV[3]
local qty = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local cap = tonumber(ARGV[6])
local dedup_ttl = tonumber(ARGV[7])
local nslots = #ARGV - 7
local held = KEYS[#KEYS]

if order_no == nil or order_no == "" then return redis.error_reply("ERR bad order number") end
if not tonumber(user) then return redis.error_reply("ERR bad user") end
if not tonumber(ticket) then return redis.error_reply("ERR bad ticket") end
if not qty or qty < 0 or qty > 1000 or qty % 1 ~= 0 then return redis.error_reply("ERR bad quantity") end
if qty > 0 and (not limit or limit < 1 or limit % 1 ~= 0) then return redis.error_reply("ERR bad limit") end
if qty == 0 and (not cap or cap < 1 or cap % 1 ~= 0) then return redis.error_reply("ERR bad cap") end
if not dedup_ttl or dedup_ttl < 0 then return redis.error_reply("ERR bad dedup lifetime") end
if #KEYS ~= 10 + nslots then return redis.error_reply("ERR bad slot keys") end
if qty == 0 and nslots == 0 then return redis.error_reply("ERR nothing to reserve") end

local now, now_us = redis_now()
local ready = redis.call("GET", KEYS[1])
if not ready then return { 0, 0 } end
if redis.call("HEXISTS", KEYS[4], order_no) == 1 then return { 3, 0 } end
if dedup_ttl > 0 then
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
  if slot_taken(KEYS[5], KEYS[6], KEYS[8 + i], slot, seat, user) then
    blocked[#blocked + 1] = slot
  end
end
if #blocked > 0 then return { -3, table.concat(blocked, ",") } end

if qty == 0 then
  -- Live holds (the index keeps lapsed ones until the next hold), less those this order takes.
  local holding = redis.call("ZCOUNT", held, "(" .. now, "+inf")
  for i = 1, nslots do
    local until_ms = redis.call("ZSCORE", held, ARGV[7 + i])
    if until_ms and tonumber(until_ms) > now then holding = holding - 1 end
  end
  local had = holding + tonumber(redis.call("HGET", KEYS[8], user) or "0")
  if had + nslots > cap then return { -4, had } end
end

-- Every check passed: write.
if qty > 0 then
  redis.call("HINCRBY", KEYS[2], "locked", qty)
  redis.call("HINCRBY", KEYS[3], user, qty)
  expire_with_session(KEYS[1], KEYS[3])
else
  redis.call("HINCRBY", KEYS[8], user, nslots)
  expire_with_session(KEYS[1], KEYS[8])
end
local slots = {}
for i = 1, nslots do
  local slot = ARGV[7 + i]
  slots[i] = slot
  redis.call("HSET", KEYS[5], slot, order_no .. "|p")
  redis.call("DEL", KEYS[8 + i])
  redis.call("ZREM", held, slot)
end
if nslots > 0 then expire_with_session(KEYS[1], KEYS[5]) end
redis.call("HSET", KEYS[4], order_no, cjson.encode({
  u = tonumber(user), t = tonumber(ticket), q = qty, st = "p", c = now, s = slots,
}))
expire_with_session(KEYS[1], KEYS[4])
if dedup_ttl > 0 then
  redis.call("SET", KEYS[7], order_no, "PX", dedup_ttl)
end
-- The generation, if the key was written by the rebuild that wrote the marker.
local built_at, generation = string.match(redis.call("GET", KEYS[#KEYS - 1]) or "", "^(%d+)/(%d+)$")
return { 1, available - qty, now_us, built_at == ready and tonumber(generation) or 0 }
