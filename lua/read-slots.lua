--[[
read-slots: the state of many slots of one session in one round trip (seat layouts and
availability). Reads only. Bounded work whatever the venue, and nothing proportional to the
session's other holds: per chunk of slots, one HMGET of the claims, one SMISMEMBER of the
disabled seats, one ZMSCORE of the session's hold index and one MGET of the holds the index says
are live now — never a key per slot from the caller. The caller keeps each call to about a
thousand slots (lib/seating/live_state.ts), so no call holds Redis for long.

KEYS[1]  ready marker of the session         (absent: state lost, rebuild first)
KEYS[2]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[3]  disabled seats set
KEYS[4]  the session's hold index (sorted set: slot, scored by its hold's expiry; hold-seats.lua)
ARGV[1]  now, ms since the epoch
ARGV[2]  the hold key of the empty slot: a slot's hold key is this followed by the slot. The hold
         keys read are not in KEYS (which ones is known only here); they share KEYS[1]'s hash
         tag, so the script still touches one slot of a Redis Cluster.
ARGV[3]  the slots ("seatId" or "seatId@hour"), joined by ",": one argument, not one a slot,
         so a reader of a thousand slots sends (and Redis parses) one string, and the client
         does not encode a thousand arguments at every read

Returns  { 0 } when the session is not built (NOT_READY), else
         { 1, packed } where packed lists the slots that are not free (a mostly free area
         answers in a few bytes), each as "index,state,holder,expire" and separated by ";":
         index is the slot's position among the slots (from 1), state is "d" disabled, "s"
         sold, "p" in an unpaid order, "h" held; holder is the holding buyer's id and expire the
         hold's end in ms (both empty unless held); in no particular order. One string rather than four reply elements
         a slot: a reader of thousands of held seats parses one string, not an array of 40,000.
Errors   "ERR bad ..." when an argument is malformed
Includes includes/slots (seat_of, hold_parts: what a slot is; the precedence d > s/p > h is
         slot_state's, read here in bulk)
]]
--- @include "includes/slots"

if #KEYS ~= 4 then return redis.error_reply("ERR bad keys") end
local now = tonumber(ARGV[1])
if not now then return redis.error_reply("ERR bad time") end
local hold_prefix = ARGV[2]
if redis.call("EXISTS", KEYS[1]) == 0 then return { 0 } end
if #ARGV ~= 3 then return redis.error_reply("ERR bad arguments") end
-- Every field, empty ones too (an empty slot is refused below, not skipped: that would shift
-- the positions of the slots after it).
local all = {}
if ARGV[3] ~= "" then
  for slot in string.gmatch(ARGV[3] .. ",", "([^,]*),") do all[#all + 1] = slot end
end
local n = #all

-- What each slot is, in chunks (Lua's unpack takes a few thousand values at most).
local CHUNK = 1000
local out = {}
local any_disabled = redis.call("SCARD", KEYS[3]) > 0
for from = 1, n, CHUNK do
  local to = math.min(from + CHUNK - 1, n)
  local slots, seats = {}, {}
  for i = from, to do
    local slot = all[i]
    local seat = seat_of(slot)
    if not seat then return redis.error_reply("ERR bad slot") end
    slots[#slots + 1] = slot
    seats[#seats + 1] = seat
  end
  local claims = redis.call("HMGET", KEYS[2], unpack(slots))
  local disabled = any_disabled and redis.call("SMISMEMBER", KEYS[3], unpack(seats)) or nil
  -- The index may name a hold that is gone (an order took the slot, a sweep removed it): the
  -- hold itself is the key, read for the slots the index says are held now.
  local held = redis.call("ZMSCORE", KEYS[4], unpack(slots))
  local hold_keys, hold_at = {}, {}
  for k = 1, #slots do
    local state = nil
    if disabled and disabled[k] == 1 then
      state = "d"
    elseif claims[k] then
      state = string.sub(claims[k], -1) == "s" and "s" or "p"
    elseif held[k] and tonumber(held[k]) > now then
      hold_keys[#hold_keys + 1] = hold_prefix .. slots[k]
      hold_at[#hold_at + 1] = k
    end
    if state then out[#out + 1] = (from + k - 1) .. "," .. state .. ",," end
  end
  -- The holds themselves, in one command for the chunk.
  if #hold_keys > 0 then
    local holds = redis.call("MGET", unpack(hold_keys))
    for j = 1, #hold_keys do
      if holds[j] then
        local holder, expire = hold_parts(holds[j])
        out[#out + 1] = (from + hold_at[j] - 1) .. ",h," .. (holder or "") .. "," .. (expire or "")
      end
    end
  end
end
return { 1, table.concat(out, ";") }
