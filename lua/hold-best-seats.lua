--[[
hold-best-seats: picks the best free seats of one area for one buyer and holds them, in one
atomic step, so buyers asking at the same time get disjoint seats. The caller ranks the
candidates (lib/seating/best.ts: distance to the front centre); this script reads the live state
and takes the first candidate that fits. Holds are exactly hold-seats.lua's: the same hold keys,
lifetime and per-buyer index, so an order and a release treat them as any other hold.

KEYS[1]  ready marker of the session         (absent: state lost, rebuild first)
KEYS[2]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[3]  disabled seats set
KEYS[4..3+S*H] the hold key of every slot: seat i (1..S), hour j (1..H) at 3 + (i-1)*H + j
KEYS[4+S*H] the buyer's hold index in this session (sorted set: slot, scored by its expiry)
KEYS[5+S*H] the session's hold index (see hold-seats.lua)
KEYS[6+S*H] seat-hours hash userId -> seat-hours in unpaid orders (see reserve.lua)
ARGV[1]  buyer's user id
ARGV[2]  now, ms since the epoch
ARGV[3]  hold lifetime in ms (positive)
ARGV[4]  most slots the buyer may hold in this session at once (positive), counting the
         seat-hours of their unpaid hourly bookings (HOURLY_MAX_SEAT_HOURS)
ARGV[5]  count: seats wanted (1-10)
ARGV[6]  "1": adjacent seats only; "0": the best seats anywhere when no adjacent block is free
ARGV[7]  S, the number of seats
ARGV[8]  H, slots per seat (1 for a seat; the hours of the window for an hourly venue)
ARGV[9..8+H]        slot suffix of each hour: "" (the slot is the seat id) or "@<minute>"
then S seats        "seatId:row:seatNum", by row then seat number
then B, then B block starts: the index (1..S) of the first seat of each block of `count`
                    consecutive seats of one row, best block first
then S seat indices, best seat first (for the fallback when adjacent is "0")

Returns { code, detail, ... }:
   1, expireAtMs, i, i, ... the seats (indices 1..S) now held by the buyer until expireAtMs
   0, 0                    NOT_READY
  -2, slots had            LIMIT_EXCEEDED: the buyer would hold more than ARGV[4] (nothing held);
                          slots had: held, and seat-hours in unpaid orders
  -3, 0                    SEAT_UNAVAILABLE: nothing suitable is free (nothing held)
Errors   "ERR bad ..." when an argument is malformed (nothing written)

Includes includes/slots (slot_taken: the one "is this slot taken" rule; the buyer's own hold is
free to them, so asking again returns the same seats and extends their hold)
]]
--- @include "includes/slots"
local user = ARGV[1]
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
local adjacent = ARGV[6] == "1"
local S = tonumber(ARGV[7])
local H = tonumber(ARGV[8])
local held = KEYS[#KEYS - 2]
local index = KEYS[#KEYS - 1]
local booked = KEYS[#KEYS]

if not tonumber(user) then return redis.error_reply("ERR bad user") end
if not now then return redis.error_reply("ERR bad time") end
if not ttl or ttl <= 0 or ttl % 1 ~= 0 then return redis.error_reply("ERR bad lifetime") end
if not cap or cap < 1 or cap % 1 ~= 0 then return redis.error_reply("ERR bad cap") end
if not count or count < 1 or count > 10 or count % 1 ~= 0 then
  return redis.error_reply("ERR bad count")
end
if not S or S < 0 or not H or H < 1 or H > 24 then return redis.error_reply("ERR bad sizes") end
if #KEYS ~= 6 + S * H then return redis.error_reply("ERR bad slot keys") end

if redis.call("EXISTS", KEYS[1]) == 0 then return { 0, 0 } end

local suffix = {}
for j = 1, H do suffix[j] = ARGV[8 + j] end
local at = 9 + H
local id, row, num = {}, {}, {}
for i = 1, S do
  local a, r, n = string.match(ARGV[at], "^(%d+):(%d+):(%d+)$")
  if not a then return redis.error_reply("ERR bad seat") end
  id[i], row[i], num[i] = a, tonumber(r), tonumber(n)
  at = at + 1
end
local B = tonumber(ARGV[at])
if not B or #ARGV ~= at + B + S then return redis.error_reply("ERR bad ranking") end
local blocks, order = {}, {}
for b = 1, B do blocks[b] = tonumber(ARGV[at + b]) end
for i = 1, S do order[i] = tonumber(ARGV[at + B + i]) end

local free = {}
for i = 1, S do
  local ok = true
  for j = 1, H do
    if slot_taken(KEYS[2], KEYS[3], KEYS[3 + (i - 1) * H + j], id[i] .. suffix[j], id[i], user) then
      ok = false
      break
    end
  end
  free[i] = ok
end

-- Is seat k a neighbour of seat i in its row (same row, seat numbers one apart)?
local function beside(i, k)
  return k >= 1 and k <= S and row[k] == row[i] and math.abs(num[k] - num[i]) == 1
end

-- Would taking seats s..e leave the free seat next to it (at k, away from the block in step
-- dir) alone between taken seats, a gap or the row's end?
local function strands(edge, dir)
  local k = edge + dir
  if not beside(edge, k) or not free[k] then return false end
  local beyond = k + dir
  return not (beside(k, beyond) and free[beyond])
end

local function all_free(s)
  for i = s, s + count - 1 do
    if not free[i] then return false end
  end
  return true
end

local chosen = nil
local fallback = nil
for b = 1, B do
  local s = blocks[b]
  if all_free(s) then
    local e = s + count - 1
    if not strands(s, -1) and not strands(e, 1) then
      chosen = s
      break
    end
    fallback = fallback or s
  end
end
chosen = chosen or fallback

local picked = {}
if chosen then
  for i = chosen, chosen + count - 1 do picked[#picked + 1] = i end
elseif not adjacent then
  for _, i in ipairs(order) do
    if free[i] then picked[#picked + 1] = i end
    if #picked == count then break end
  end
  if #picked < count then picked = {} end
end
if #picked == 0 then return { -3, 0 } end

-- Lapsed holds leave the index here; slots held already (an extension) do not count twice.
redis.call("ZREMRANGEBYSCORE", held, "-inf", now)
local had = redis.call("ZCARD", held) + tonumber(redis.call("HGET", booked, user) or "0")
local total = had
for _, i in ipairs(picked) do
  for j = 1, H do
    if not redis.call("ZSCORE", held, id[i] .. suffix[j]) then total = total + 1 end
  end
end
if total > cap then return { -2, had } end

local expire_at = now + ttl
local out = { 1, expire_at }
for _, i in ipairs(picked) do
  for j = 1, H do
    redis.call("SET", KEYS[3 + (i - 1) * H + j], user .. "|" .. expire_at, "PX", ttl)
    redis.call("ZADD", held, expire_at, id[i] .. suffix[j])
    redis.call("ZADD", index, expire_at, id[i] .. suffix[j])
  end
  out[#out + 1] = i
end
redis.call("PEXPIRE", held, ttl)
-- As hold-seats.lua keeps the session's index: lapsed entries go after 10 minutes.
redis.call("ZREMRANGEBYSCORE", index, "-inf", string.format("%d", now - 600000))
redis.call("PEXPIRE", index, ttl + 600000)
return out
