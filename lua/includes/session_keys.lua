--[[
session_keys (include): the clock and the lifetime of a session's keys, written once for every
script that creates them (rebuild-session, reserve, adopt-reservation).

Clock: Redis's own (TIME), so times that scripts compare (when a reservation was made, when the
session was rebuilt) come from one clock whatever instance called them.

Lifetime: every key of a session expires after the session ends plus a grace period. The
rebuild sets it on every key it writes, the ready marker first; a key a script creates later
copies the marker's lifetime, plus a margin, so the marker always goes first and a session is
either whole or not built (then rebuilt from MySQL on its next use).
]]

-- Milliseconds a data key outlives its session's ready marker.
local SESSION_KEY_MARGIN_MS = 60000

-- Redis's time: milliseconds and microseconds since the epoch.
local function redis_now()
  local t = redis.call("TIME")
  local us = tonumber(t[1]) * 1000000 + tonumber(t[2])
  return math.floor(us / 1000), us
end

-- Gives `key` its session's lifetime when it has none (it was just created).
local function expire_with_session(ready_key, key)
  if redis.call("PTTL", key) == -1 then
    local ttl = redis.call("PTTL", ready_key)
    if ttl > 0 then redis.call("PEXPIRE", key, ttl + SESSION_KEY_MARGIN_MS) end
  end
end
