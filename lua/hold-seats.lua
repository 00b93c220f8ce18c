--[[
hold-seats: holds slots (seats, or seat-hours "seatId@hour") of one session for one buyer,
all or none, for a limited time. A hold is a key with a TTL, so it lapses by itself; holding a
slot one already holds extends it.

KEYS[1]  ready marker of the session         (absent: state lost, rebuild first)
KEYS[2]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[3]  disabled seats set
KEYS[4..] one hold key per slot, in the order of the slots in ARGV
KEYS[4+n] the buyer's hold index in this session (sorted set: slot, scored by its expiry), so
         one buyer cannot hold a whole venue by holding 10 seats again and again
KEYS[5+n] the session's hold index (sorted set: slot, scored by its hold's expiry), so readers
         (read-slots.lua) and sweeps find the holds without a key per seat or a keyspace SCAN;
         entries lapsed longer than INDEX_KEEP_MS ago leave it here
KEYS[6+n] seat-hours hash userId -> seat-hours in unpaid orders (see reserve.lua)
ARGV[1]  buyer's user id
ARGV[2]  now, ms since the epoch
ARGV[3]  hold lifetime in ms (positive)
ARGV[4]  most slots the buyer may hold in this session at once (positive), counting the
         seat-hours of their unpaid hourly bookings (HOURLY_MAX_SEAT_HOURS)
ARGV[5..] the slots, each "seatId" or "seatId@hour" (at most 240: 10 seats x 24 hours)

Returns { code, detail }:
   1, expireAtMs           every slot is held by the buyer until expireAtMs
   0, 0                    NOT_READY
  -2, slots had            LIMIT_EXCEEDED: the buyer would hold more than ARGV[4] (nothing held);
                          slots had: held, and seat-hours in unpaid orders
  -3, "slot,slot"          SEAT_UNAVAILABLE: the slots in the way (nothing held)
Errors   "ERR bad ..." when an argument is malformed (nothing written)
Includes includes/slots (seat_of, slot_taken: the one "is this slot taken" rule)
]]
--- @include "includes/slots"

local user = ARGV[1]
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local nslots = #ARGV - 4
local held = KEYS[#KEYS - 2]
local index = KEYS[#KEYS - 1]
local booked = KEYS[#KEYS]
-- Lapsed entries stay this long, so the hold sweep still finds a hold that lost its TTL.
local INDEX_KEEP_MS = 600000

if not tonumber(user) then return redis.error_reply("ERR bad user") end
if not now then return redis.error_reply("ERR bad time") end
if not ttl or ttl <= 0 or ttl % 1 ~= 0 then return redis.error_reply("ERR bad lifetime") end
if not cap or cap < 1 or cap % 1 ~= 0 then return redis.error_reply("ERR bad cap") end
if nslots < 1 or nslots > 10 * 24 then return redis.error_reply("ERR bad slot count") end
if #KEYS ~= 6 + nslots then return redis.error_reply("ERR bad slot keys") end

if redis.call("EXISTS", KEYS[1]) == 0 then return { 0, 0 } end

local blocked = {}
for i = 1, nslots do
  local slot = ARGV[4 + i]
  local seat = seat_of(slot)
  if not seat then return redis.error_reply("ERR bad slot") end
  if slot_taken(KEYS[2], KEYS[3], KEYS[3 + i], slot, seat, user) then
    blocked[#blocked + 1] = slot
  end
end
if #blocked > 0 then return { -3, table.concat(blocked, ",") } end

-- Lapsed holds leave the index here; slots held already (an extension) do not count twice.
redis.call("ZREMRANGEBYSCORE", held, "-inf", now)
local had = redis.call("ZCARD", held) + tonumber(redis.call("HGET", booked, user) or "0")
local count = had
for i = 1, nslots do
  if not redis.call("ZSCORE", held, ARGV[4 + i]) then count = count + 1 end
end
if count > cap then return { -2, had } end

local expire_at = now + ttl
for i = 1, nslots do
  redis.call("SET", KEYS[3 + i], user .. "|" .. expire_at, "PX", ttl)
  redis.call("ZADD", held, expire_at, ARGV[4 + i])
  redis.call("ZADD", index, expire_at, ARGV[4 + i])
end
redis.call("PEXPIRE", held, ttl)
redis.call("ZREMRANGEBYSCORE", index, "-inf", string.format("%d", now - INDEX_KEEP_MS))
-- Every entry older than this is removable anyway: an abandoned session's index goes by itself.
redis.call("PEXPIRE", index, ttl + INDEX_KEEP_MS)
return { 1, expire_at }
