--[[
read-slots: the state of many slots of one session in one round trip (seat layouts and
availability). Reads only.

KEYS[1]  ready marker of the session         (absent: state lost, rebuild first)
KEYS[2]  claims hash       slot -> "orderNo|p" / "orderNo|s"
KEYS[3]  disabled seats set
KEYS[4..] one hold key per slot, in the order of the slots in ARGV
ARGV[1]  the first slot ("seatId" or "seatId@hour"); ARGV[2..] the further slots

Returns  { 0 } when the session is not built (NOT_READY), else
         { 1, index, state, holder, expire, index, state, holder, expire, ... } for the slots
         that are not free (a mostly free 1,000-seat area answers in a few bytes), where
         index is the slot's position in ARGV (from 1), state is "d" disabled, "s" sold,
         "p" in an unpaid order, "h" held; holder is the holding buyer's id and expire the
         hold's end in ms ("" unless held)
Includes includes/slots (seat_of, slot_state, hold_parts: a slot's state, as the scripts that
         claim slots judge it)
]]
--- @include "includes/slots"

if redis.call("EXISTS", KEYS[1]) == 0 then return { 0 } end
if #KEYS ~= 3 + #ARGV then return redis.error_reply("ERR bad slot keys") end
local out = { 1 }
for i = 1, #ARGV do
  local slot = ARGV[i]
  local state, hold = slot_state(KEYS[2], KEYS[3], KEYS[3 + i], slot, seat_of(slot) or slot)
  local holder, expire = "", ""
  if hold then
    holder, expire = hold_parts(hold)
    holder, expire = holder or "", expire or ""
  end
  if state then
    out[#out + 1] = i
    out[#out + 1] = state
    out[#out + 1] = holder
    out[#out + 1] = expire
  end
end
return out
