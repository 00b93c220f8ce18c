--[[
queue-step: one admission step of a session's waiting room, then the room's numbers and one
buyer's state. Any instance may run it at any time (buyers' status polls trigger it): the rate
holds across all of them because the token bucket lives here and the clock is Redis's (TIME).

The step (skipped when ARGV[5] is 0, or before the opening):
  drops the passes that have expired;
  reads the session's stock: the sum over its tiers of total - locked - sold. Nothing left:
  the room is marked sold out and nobody is admitted (those waiting are told so); stock that
  comes back (an unpaid order expired) clears the mark;
  refills the bucket with (now - last) * rate tokens, never more than one second's worth
  (MAX(1, rate)), so a pause in polling never releases a burst; the first step after the
  opening counts from the opening;
  admits floor(tokens) buyers, at most 2,000 per step, at most those waiting, and no more than
  the tickets left minus the buyers admitted in the last ARGV[7] seconds who have not bought
  yet (admitted in the window, less the tickets sold since its first admission; those bought by
  buyers admitted earlier count as theirs, so this errs towards letting in): a crowd is not let in
  for tickets that others are about to buy; if they do not buy, the window slides past them
  and the tickets are offered again. Lowest place first: each leaves the waiting set and gets a
  pass expiring at now + the pass lifetime.

KEYS[1]  waiting sorted set  userId -> place (see queue-join.lua)
KEYS[2]  admitted sorted set userId -> pass expiry (ms)
KEYS[3]  room state hash: last (ms), carry (tokens), seq, admitted (total), soldOut ("1"/"0")
KEYS[4]  admissions hash: "<epoch second>" -> buyers admitted in it, "a<epoch second>" -> tickets
         left before its first admission (the last minute's kept)
KEYS[5]  ready marker of the session's sale state (see reserve.lua)
KEYS[6..] the tier hashes {total, locked, sold} of the session's tiers
ARGV[1]  admission rate, buyers per second (1..10000)
ARGV[2]  opening time, ms since the epoch (0: open already)
ARGV[3]  pass lifetime, ms
ARGV[4]  user id whose state to return ("" for none)
ARGV[5]  1: run the step; 0: only read
ARGV[6]  lifetime of the room's keys, ms (renewed when someone is admitted)
ARGV[7]  seconds an admitted buyer counts as about to buy (1..60)

Returns { code, admittedNow, waiting, passesActive, soldOut, admittedTotal, lastMinute, now,
          userState, userDetail }
  code 1 done; 0 NOT_READY: the sale state is not built (the caller rebuilds it from MySQL
         and calls again; nothing was admitted, expired passes may have been dropped)
  soldOut 1 when the session has nothing left to sell, else 0
  lastMinute: buyers admitted during the last 60 seconds (only when ARGV[4] is "", else 0)
  userState 0 not in the room (detail 0); 1 admitted (detail: pass expiry, ms);
            2 waiting (detail: rank, 0-based)
Errors   "ERR bad ..." when an argument is malformed (nothing written)
]]
local rate = tonumber(ARGV[1])
local opens_at = tonumber(ARGV[2])
local pass_ms = tonumber(ARGV[3])
local user = ARGV[4]
local step = ARGV[5] == "1"
local ttl = tonumber(ARGV[6])
local grace = tonumber(ARGV[7])
if not rate or rate < 1 or rate > 10000 then return redis.error_reply("ERR bad rate") end
if not opens_at or opens_at < 0 then return redis.error_reply("ERR bad opening time") end
if not pass_ms or pass_ms < 1 then return redis.error_reply("ERR bad pass lifetime") end
if user ~= "" and not tonumber(user) then return redis.error_reply("ERR bad user") end
if not ttl or ttl < 1 then return redis.error_reply("ERR bad lifetime") end
if not grace or grace < 1 or grace > 60 then return redis.error_reply("ERR bad grace") end

local MAX_PER_STEP = 2000
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local now_ms = math.floor(now)

local admitted_now = 0
local sold_out = redis.call("HGET", KEYS[3], "soldOut") == "1" and 1 or 0
if step then
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now_ms)
end
if step and now >= opens_at then
  if redis.call("EXISTS", KEYS[5]) == 0 then return { 0, 0, 0, 0, 0, 0, 0, now_ms, 0, 0 } end
  local available = 0
  for i = 6, #KEYS do
    local tier = redis.call("HMGET", KEYS[i], "total", "locked", "sold")
    if not tier[1] then return { 0, 0, 0, 0, 0, 0, 0, now_ms, 0, 0 } end
    local left = tonumber(tier[1]) - tonumber(tier[2]) - tonumber(tier[3])
    if left > 0 then available = available + left end
  end
  local was = sold_out
  sold_out = available > 0 and 0 or 1
  if sold_out ~= was then redis.call("HSET", KEYS[3], "soldOut", sold_out) end

  local state = redis.call("HMGET", KEYS[3], "last", "carry")
  local last = tonumber(state[1]) or math.max(opens_at, now - 1000)
  local cap = math.max(1, rate)
  local tokens = math.min(cap, (tonumber(state[2]) or 0) + math.max(0, now - last) * rate / 1000)
  local second = math.floor(now / 1000)
  local n = math.min(math.floor(tokens), redis.call("ZCARD", KEYS[1]), MAX_PER_STEP)
  if sold_out == 0 and n > 0 then
    local recent, first_second, left_then = 0, nil, available
    local fields = redis.call("HGETALL", KEYS[4])
    for i = 1, #fields, 2 do
      local f = fields[i]
      if string.sub(f, 1, 1) == "a" then
        local s = tonumber(string.sub(f, 2))
        if s > second - grace and (first_second == nil or s < first_second) then
          first_second, left_then = s, tonumber(fields[i + 1])
        end
      elseif tonumber(f) > second - grace then
        recent = recent + tonumber(fields[i + 1])
      end
    end
    local unbought = math.max(0, recent - math.max(0, left_then - available))
    n = math.min(n, available - unbought)
    if n > 0 then
      if redis.call("HSETNX", KEYS[4], "a" .. second, available) == 1 then
        -- Once a second: keep the last minute only.
        if redis.call("HLEN", KEYS[4]) > 140 then
          for _, f in ipairs(redis.call("HKEYS", KEYS[4])) do
            local s = tonumber(f) or tonumber(string.sub(f, 2))
            if s <= second - 60 then redis.call("HDEL", KEYS[4], f) end
          end
        end
      end
      local popped = redis.call("ZPOPMIN", KEYS[1], n)
      local expiry = now_ms + pass_ms
      for i = 1, #popped, 2 do
        redis.call("ZADD", KEYS[2], expiry, popped[i])
      end
      admitted_now = #popped / 2
      tokens = tokens - admitted_now
      redis.call("HINCRBY", KEYS[3], "admitted", admitted_now)
      redis.call("HINCRBY", KEYS[4], second, admitted_now)
      for i = 1, 4 do redis.call("PEXPIRE", KEYS[i], ttl) end
    end
  end
  -- %.3f: tostring keeps 14 digits, too few for epoch milliseconds with a fraction.
  redis.call("HSET", KEYS[3], "last", string.format("%.3f", now), "carry", string.format("%.6f", tokens))
end

local last_minute = 0
if user == "" then
  local second = math.floor(now / 1000)
  local counts = redis.call("HGETALL", KEYS[4])
  for i = 1, #counts, 2 do
    local s = tonumber(counts[i]) -- nil for the "a<second>" fields
    if s and s > second - 60 then last_minute = last_minute + tonumber(counts[i + 1]) end
  end
end

local user_state, detail = 0, 0
if user ~= "" then
  local expiry = tonumber(redis.call("ZSCORE", KEYS[2], user))
  if expiry and expiry > now_ms then
    user_state, detail = 1, expiry
  else
    local rank = redis.call("ZRANK", KEYS[1], user)
    if rank then user_state, detail = 2, rank end
  end
end
return {
  1, admitted_now, redis.call("ZCARD", KEYS[1]), redis.call("ZCOUNT", KEYS[2], "(" .. now_ms, "+inf"),
  sold_out, tonumber(redis.call("HGET", KEYS[3], "admitted") or "0"), last_minute, now_ms,
  user_state, detail,
}
