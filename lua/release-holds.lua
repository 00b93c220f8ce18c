--[[
release-holds: drops one buyer's holds on the given slots. Holds of other buyers, and slots not
held, are left alone, so a buyer can only ever release their own holds. Idempotent.

KEYS[1]  hold key of the first slot; KEYS[2..] one per further slot
KEYS[n+1] the buyer's hold index in this session (see hold-seats.lua)
KEYS[n+2] the session's hold index (see hold-seats.lua): a released slot leaves it (a slot held
         by another buyer keeps its entry, which is theirs)
ARGV[1]  buyer's user id
ARGV[2..] the slots, in the order of their hold keys

Returns  the number of holds released
Includes includes/slots (hold_owner: whose hold a hold key holds)
]]
--- @include "includes/slots"

local user = ARGV[1]
if not tonumber(user) then return redis.error_reply("ERR bad user") end
if #KEYS ~= #ARGV + 1 then return redis.error_reply("ERR bad slot keys") end
local held = KEYS[#KEYS - 1]
local index = KEYS[#KEYS]
local released = 0
for i = 1, #KEYS - 2 do
  local hold = redis.call("GET", KEYS[i])
  if hold and hold_owner(hold) == user then
    redis.call("DEL", KEYS[i])
    released = released + 1
  end
  if not hold or hold_owner(hold) == user then redis.call("ZREM", index, ARGV[1 + i]) end
  redis.call("ZREM", held, ARGV[1 + i])
end
return released
