--[[
count-failure: counts one attempt (e.g. a password check) in a fixed window, or gives one back.

The window starts at the first count and lasts ARGV[1] ms; later counts do not extend it, so a
throttled client knows exactly when it may try again. Giving back (ARGV[2] = -1, after a
success) never creates the counter nor takes it below zero, so it leaves no key without expiry.

KEYS[1]  the counter (a string key)
ARGV[1]  window length in milliseconds (positive integer)
ARGV[2]  optional: 1 to count (default), -1 to give one back

Returns  { count after this call, ms until the window ends (0 when there is no counter) }
Errors   "ERR bad window" / "ERR bad step" on a bad argument (nothing written)
]]
local window = tonumber(ARGV[1])
if not window or window <= 0 or window % 1 ~= 0 then
  return redis.error_reply("ERR bad window")
end
local step = tonumber(ARGV[2] or "1")
if step ~= 1 and step ~= -1 then
  return redis.error_reply("ERR bad step")
end

if step == -1 then
  local current = tonumber(redis.call("GET", KEYS[1]) or "0")
  if current <= 0 then
    return { 0, 0 }
  end
  local left = redis.call("DECR", KEYS[1])
  return { left, math.max(redis.call("PTTL", KEYS[1]), 0) }
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
