--[[
release-lock: deletes a lock or lease only if it still holds the caller's token, so a process
whose lease expired cannot delete the lease another process took since.

KEYS[1]  the lock key
ARGV[1]  the caller's token

Returns  1 deleted, 0 not ours (or gone)
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
