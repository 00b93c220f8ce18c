--[[
read-slots: the state of many slots of one session in one round trip (seat layouts and
availability). Reads only. Bounded work whatever the venue: one HMGET of the claims and one
SMISMEMBER of the disabled seats per chunk of slots, and one GET per slot that the session's hold
index says may be held — never a key per slot from the caller.

KEYS[1]  ready marker of the session         (absent: state lost, rebuild first)
KEYS[2]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[3]  disabled seats set
KEYS[4]  the session's hold index (sorted set: slot, scored by its hold's expiry; hold-seats.lua)
ARGV[1]  now, ms since the epoch
ARGV[2]  the hold key of the empty slot: a slot's hold key is this followed by the slot. The hold
         keys read are not in KEYS (which ones is known only here); they share KEYS[1]'s hash
         tag, so the script still touches one slot of a Redis Cluster.
ARGV[3]  the first slot ("seatId" or "seatId@hour"); ARGV[4..] the further slots

Returns  { 0 } when the session is not built (NOT_READY), else
         { 1, index, state, holder, expire, index, state, holder, expire, ... } for the slots
         that are not free (a mostly free 1,000-seat area answers in a few bytes), where
         index is the slot's position among the slots (from 1), state is "d" disabled, "s" sold,
         "p" in an unpaid order, "h" held; holder is the holding buyer's id and expire the
         hold's end in ms ("" unless held)
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
local first = 3
local n = #ARGV - first + 1

-- What each slot is, in chunks (Lua's unpack takes a few thousand values at most).
local CHUNK = 1000
local state = {}
local any_disabled = redis.call("SCARD", KEYS[3]) > 0
for from = 1, n, CHUNK do
  local to = math.min(from + CHUNK - 1, n)
  local slots, seats = {}, {}
  for i = from, to do
    local slot = ARGV[first + i - 1]
    local seat = seat_of(slot)
    if not seat then return redis.error_reply("ERR bad slot") end
    slots[#slots + 1] = slot
    seats[#seats + 1] = seat
  end
  local claims = redis.call("HMGET", KEYS[2], unpack(slots))
  local disabled = any_disabled and redis.call("SMISMEMBER", KEYS[3], unpack(seats)) or nil
  for k = 1, #slots do
    if disabled and disabled[k] == 1 then
      state[from + k - 1] = "d"
    elseif claims[k] then
      state[from + k - 1] = string.sub(claims[k], -1) == "s" and "s" or "p"
    end
  end
end

-- Holds: only the slots the index names as held now, each checked against its hold key (the
-- hold itself is the key; an index entry may outlive it, e.g. after an order took the slot).
local holder, expire = {}, {}
local live = redis.call("ZRANGEBYSCORE", KEYS[4], "(" .. ARGV[1], "+inf")
if #live > 0 then
  local position = {}
  for i = 1, n do position[ARGV[first + i - 1]] = i end
  for _, slot in ipairs(live) do
    local i = position[slot]
    if i and not state[i] then
      local hold = redis.call("GET", hold_prefix .. slot)
      if hold then
        state[i] = "h"
        holder[i], expire[i] = hold_parts(hold)
      end
    end
  end
end

local out = { 1 }
for i = 1, n do
  if state[i] then
    out[#out + 1] = i
    out[#out + 1] = state[i]
    out[#out + 1] = holder[i] or ""
    out[#out + 1] = expire[i] or ""
  end
end
return out
