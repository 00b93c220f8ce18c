--[[
count-failure: counts one failure (e.g. a failed login) in a fixed window.

The window starts at the first failure and lasts ARGV[1] ms; later failures do not extend it,
so a throttled client knows exactly when it may try again.

KEYS[1]  the counter (a string key)
ARGV[1]  window length in milliseconds (positive integer)

Returns  { failures, ms until the window ends }
Errors   "ERR bad window" when ARGV[1] is not a positive integer (nothing written)
]]
local window = tonumber(ARGV[1])
if not window or window <= 0 or window % 1 ~= 0 then
  return redis.error_reply("ERR bad window")
end

local failures = redis.call("INCR", KEYS[1])
if failures == 1 then
  redis.call("PEXPIRE", KEYS[1], window)
end
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
  -- A counter that lost its expiry (e.g. set by hand) must not block forever.
  redis.call("PEXPIRE", KEYS[1], window)
  ttl = window
end
return { failures, ttl }
