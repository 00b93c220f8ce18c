--[[
queue-join: puts a buyer in a session's waiting room, unless they are in it already (waiting, or
admitted with a pass still good): joining twice keeps the first place.

Place: a buyer joining before the opening gets the random number sent by the caller (in [0, 1)),
so all of them are in random order at the opening whoever was fastest; after the opening the
room's arrival counter (1, 2, ...), so first come first served, and always behind the random
ones. The time is Redis's own (TIME), the same for every instance.

KEYS[1]  waiting sorted set  userId -> place
KEYS[2]  admitted sorted set userId -> pass expiry (ms since the epoch)
KEYS[3]  room state hash (field "seq": the arrival counter; "soldOut": "1" when nothing is left)
ARGV[1]  buyer's user id
ARGV[2]  opening time, ms since the epoch (0: open already)
ARGV[3]  a random number in [0, 1) for a join before the opening
ARGV[4]  lifetime of the room's keys, ms (renewed on every join)

Returns { state, detail, soldOut, now }
   1, pass expiry (ms)     admitted: the buyer's pass is still good
   2, rank (0-based)       waiting, with `rank` buyers ahead
  soldOut: 1 when the last admission step found nothing left to sell, else 0
  now: Redis time, ms since the epoch
Errors   "ERR bad ..." when an argument is malformed (nothing written)
]]
local user = ARGV[1]
local opens_at = tonumber(ARGV[2])
local draw = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
if not tonumber(user) then return redis.error_reply("ERR bad user") end
if not opens_at or opens_at < 0 then return redis.error_reply("ERR bad opening time") end
if not draw or draw < 0 or draw >= 1 then return redis.error_reply("ERR bad draw") end
if not ttl or ttl < 1 then return redis.error_reply("ERR bad lifetime") end

local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local sold_out = redis.call("HGET", KEYS[3], "soldOut") == "1" and 1 or 0

local expiry = tonumber(redis.call("ZSCORE", KEYS[2], user))
if expiry and expiry > now then return { 1, expiry, sold_out, now } end
if expiry then redis.call("ZREM", KEYS[2], user) end

local rank = redis.call("ZRANK", KEYS[1], user)
if not rank then
  local place = draw
  if now >= opens_at then place = redis.call("HINCRBY", KEYS[3], "seq", 1) end
  redis.call("ZADD", KEYS[1], place, user)
  rank = redis.call("ZRANK", KEYS[1], user)
  for i = 1, 3 do redis.call("PEXPIRE", KEYS[i], ttl) end
end
return { 2, rank, sold_out, now }
