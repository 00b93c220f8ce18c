--[[
slots (include): what a slot of a session is and whether it is taken, written once for every
script that reads or claims slots (reserve, hold-seats, read-slots, release-holds). Spliced into
a script where it says `--- @include "includes/slots"` (lib/platform/lua_includes.ts), so these
locals are defined before the script's own code uses them.

A slot is a seat id "seatId", or a seat-hour "seatId@epochMinute". In a session it is, in this
order of precedence:
  "d"  disabled: its seat is in the disabled seats set (whatever else is recorded)
  "s"  in a sold order   (claims hash: slot -> "orderNo|s")
  "p"  in an unpaid order (claims hash: slot -> "orderNo|p")
  "h"  held: its hold key holds "userId|expireAtMs" (the key has a TTL)
  nil  free
A slot is taken for a buyer unless it is free or held by that same buyer.
]]

-- The seat id of a slot ("12" of "12" and of "12@29418000"); nil when the slot is malformed.
local function seat_of(slot)
  return string.match(slot, "^(%d+)")
end

-- The buyer (user id, as a string) a hold value "userId|expireAtMs" belongs to.
local function hold_owner(hold)
  return string.match(hold, "^(%d+)|")
end

-- The buyer and the expiry (ms) of a hold value, both strings; nil when malformed.
local function hold_parts(hold)
  return string.match(hold, "^(%d+)|(%d+)")
end

-- The state of one slot ("d", "s", "p", "h" or nil), and for "h" the hold's value.
local function slot_state(claims_key, disabled_key, hold_key, slot, seat)
  if redis.call("SISMEMBER", disabled_key, seat) == 1 then return "d" end
  local claim = redis.call("HGET", claims_key, slot)
  if claim then return string.sub(claim, -1) == "s" and "s" or "p" end
  local hold = redis.call("GET", hold_key)
  if hold then return "h", hold end
  return nil
end

-- Is the slot taken for `user` (a user id string): disabled, in an order, or held by another?
local function slot_taken(claims_key, disabled_key, hold_key, slot, seat, user)
  local state, hold = slot_state(claims_key, disabled_key, hold_key, slot, seat)
  if state == "h" then return hold_owner(hold) ~= user end
  return state ~= nil
end
