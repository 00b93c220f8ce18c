--[[
renew-lease: extends a lease (or lock) only if it still holds the caller's token, so a process
whose lease lapsed and was taken by another cannot extend the other's lease.

KEYS[1]  the lease key (a string holding the holder's token)
ARGV[1]  the caller's token
ARGV[2]  new lifetime in milliseconds (positive integer)

Returns  1 renewed, 0 not ours (lapsed, or taken by another holder)
Errors   "ERR bad lifetime" when ARGV[2] is not a positive integer (nothing written)
]]
local ms = tonumber(ARGV[2])
if not ms or ms <= 0 or ms % 1 ~= 0 then return redis.error_reply("ERR bad lifetime") end
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ms)
  return 1
end
return 0
