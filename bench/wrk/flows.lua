-- The request flows of bench/run.ts, as a wrk script (wrk 4.1, LuaJIT). One file for every
-- scenario; FLOW (environment) picks the flow. Driven by bench/wrk.ts, which sets the
-- environment, reads the JSON line this script prints at the end, and stops wrk (SIGINT) once
-- every thread has printed WRK_THREAD_DONE on stderr (a flow with nothing left to do).
--
-- Flows:
--   create  POST /api/order/create in a loop. PER_BUYER=0: cycle through the buyers forever
--           (sold out). PER_BUYER=n: each buyer, one request in flight at most, goes on until it
--           has n orders or is refused with a code of STOP_ON (flash sale, seed design);
--           CYCLE=1 starts finished buyers over (the headroom run against a bare handler).
--   seats   hold a random 2-4 seat set among those this thread has not sold, then order it.
--   mixed   browse / hold / create / pay by WEIGHTS, paced at RATE requests/s (0: unpaced).
-- (A plain GET in a loop is bench/wrk/get.lua: no Lua per request.)
--
-- wrk runs the script in one Lua state per thread, with no shared memory: each thread takes
-- every THREADS-th buyer (and seat). A request and its reply are tied by the X-Trace-Id header,
-- which boxoffice and every bare handler echo: wrk does not tell which connection a reply is on.
--
-- Counted per route and thread, merged in done(): replies, successes (HTTP 200 with the
-- success envelope), refusals by envelope `error` code, errors (no envelope: HTTP status other
-- than an envelope's, or a request that got no reply: wrk's socket errors), and latency from
-- request() to response() in a log-linear histogram (1 % resolution).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bo_timespec;
  int clock_gettime(int clock, bo_timespec *ts);
]]
local timespec = ffi.new("bo_timespec")
local function now_us()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC: one clock for every thread
  return tonumber(timespec.tv_sec) * 1e6 + tonumber(timespec.tv_nsec) / 1e3
end

local env = os.getenv
local FLOW = env("FLOW") or "create"
local THREADS = tonumber(env("WRK_THREADS") or "1")
local TIMEOUT_US = tonumber(env("REQUEST_TIMEOUT_S") or "10") * 1e6

-- ------------------------------------------------------------------ main state: setup, done

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  threads[#threads + 1] = thread
end

-- ------------------------------------------------------------------ helpers

local function split(s, sep)
  local out = {}
  for part in string.gmatch(s or "", "[^" .. sep .. "]+") do out[#out + 1] = part end
  return out
end

local function read_lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then out[#out + 1] = line end
  end
  return out
end

-- This thread's share of a list: items id+1, id+1+THREADS, ...
local function mine(list)
  local out = {}
  for i = 1, #list do
    if (i - 1) % THREADS == thread_id then out[#out + 1] = list[i] end
  end
  return out
end

-- ------------------------------------------------------------------ thread state: tallies

stats = { routes = {}, extra = {}, first = nil, last = nil, unanswered = 0, uncorrelated = 0 }
local inflight = {}
local flow
local seq = 0
local finished = false

local function bucket(us)
  if us < 1000 then return math.floor(us / 10) * 10 end
  if us < 10000 then return math.floor(us / 100) * 100 end
  if us < 100000 then return math.floor(us / 1000) * 1000 end
  if us < 1000000 then return math.floor(us / 10000) * 10000 end
  return math.floor(us / 100000) * 100000
end

local function route_stats(name)
  local r = stats.routes[name]
  if not r then
    r = { requests = 0, successes = 0, errors = 0, rejections = {}, hist = {}, sum = 0, max = 0 }
    stats.routes[name] = r
  end
  return r
end

local function count(name, n)
  stats.extra[name] = (stats.extra[name] or 0) + (n or 1)
end

local function record(route, us, ok, code)
  local r = route_stats(route)
  r.requests = r.requests + 1
  if ok then
    r.successes = r.successes + 1
  elseif code then
    r.rejections[code] = (r.rejections[code] or 0) + 1
  else
    r.errors = r.errors + 1
  end
  local b = bucket(us)
  r.hist[b] = (r.hist[b] or 0) + 1
  r.sum = r.sum + us
  if us > r.max then r.max = us end
end

local function thread_done()
  if finished then return end
  finished = true
  io.stderr:write("WRK_THREAD_DONE\n")
end

local key_seq = 0
local run_tag = env("RUN_TAG") or string.format("%x", os.time())
local function idempotency_key()
  key_seq = key_seq + 1
  return "bench-" .. run_tag .. "-" .. thread_id .. "-" .. key_seq
end

local function auth(token) return { Authorization = "Bearer " .. token } end

-- A request of `route`, remembered until its reply (meta goes to the flow's reply handler).
local ACCEPT_ENCODING = env("ACCEPT_ENCODING")

local function send(route, method, path, headers, body, meta)
  seq = seq + 1
  local tid = "w" .. thread_id .. "." .. seq
  headers = headers or {}
  headers["X-Trace-Id"] = tid
  if ACCEPT_ENCODING then headers["Accept-Encoding"] = ACCEPT_ENCODING end
  if body then headers["Content-Type"] = "application/json" end
  local t = now_us()
  if not stats.first then stats.first = t end
  inflight[tid] = { route, t, meta }
  return wrk.format(method, path, headers, body)
end

-- Something to send when the flow has nothing to do (wrk must send a request): not counted.
local function idle()
  return wrk.format("GET", "/api/health", { ["X-Trace-Id"] = "idle" })
end

-- Requests that will never be answered (wrk dropped the connection on a timeout or error):
-- counted as errors, and their buyer handed back to the flow.
local last_sweep = 0
local function sweep(t)
  if t - last_sweep < 1e6 then return end
  last_sweep = t
  for tid, f in pairs(inflight) do
    if t - f[2] > TIMEOUT_US + 1e6 then
      inflight[tid] = nil
      stats.unanswered = stats.unanswered + 1
      route_stats(f[1]).errors = route_stats(f[1]).errors + 1
      if flow.lost then flow.lost(f[3]) end
    end
  end
end

-- ------------------------------------------------------------------ flows

local flows = {}

flows.create = function()
  local tokens = mine(read_lines(env("TOKENS")))
  local body = env("BODY")
  local path = env("CREATE_PATH") or "/api/order/create"
  local per_buyer = tonumber(env("PER_BUYER") or "0")
  local idempotent = env("IDEMPOTENCY") == "1"
  local cycle = env("CYCLE") == "1"
  local stop_on = {}
  for _, c in ipairs(split(env("STOP_ON"), ",")) do stop_on[c] = true end
  if #tokens == 0 then thread_done() end

  if per_buyer == 0 then
    local i = 0
    return {
      next = function()
        i = i % #tokens + 1
        return send("create", "POST", path, auth(tokens[i]), body)
      end,
    }
  end

  -- A stack: a buyer goes on until it is done, as a real one would, one request at a time.
  local ready = {}
  for k = #tokens, 1, -1 do ready[#ready + 1] = { token = tokens[k], got = 0 } end
  local active = #tokens
  stats.extra.buyers = #tokens
  local function finish(b, why)
    count(why)
    if cycle then
      b.got = 0
      ready[#ready + 1] = b
      return
    end
    active = active - 1
    if active == 0 then thread_done() end
  end
  return {
    ready = function() return #ready > 0 end,
    next = function()
      local b = table.remove(ready)
      if not b then return nil end
      local h = auth(b.token)
      if idempotent then h["Idempotency-Key"] = idempotency_key() end
      return send("create", "POST", path, h, body, b)
    end,
    reply = function(ok, code, _, b)
      if ok then
        b.got = b.got + 1
        if b.got >= per_buyer then return finish(b, "buyersFinished") end
      elseif code and stop_on[code] then
        if not stats.extra.firstStopAtUs then stats.extra.firstStopAtUs = now_us() end
        return finish(b, "buyersStopped")
      end
      ready[#ready + 1] = b
    end,
    lost = function(b) ready[#ready + 1] = b end,
  }
end

flows.seats = function()
  local tokens = mine(read_lines(env("TOKENS")))
  local session = env("SESSION_ID")
  local per_buyer = tonumber(env("PER_BUYER") or "2")
  local cycle = env("CYCLE") == "1"
  local all = split(read_lines(env("SEATS"))[1], ",")
  local seats = mine(all)
  -- The seats this thread has not seen sold (or stuck in a failed order): an array with an index,
  -- so that removal is O(1).
  local unsold, where = {}, {}
  local function reset_seats()
    unsold, where = {}, {}
    for i, s in ipairs(seats) do unsold[i] = s; where[s] = i end
  end
  reset_seats()
  local function remove(s)
    local i = where[s]
    if not i then return end
    local last = unsold[#unsold]
    unsold[i] = last
    where[last] = i
    unsold[#unsold] = nil
    where[s] = nil
  end
  local function pick(k)
    local out, seen = {}, {}
    k = math.min(k, #unsold)
    while #out < k do
      local s = unsold[math.random(1, #unsold)]
      if not seen[s] then seen[s] = true; out[#out + 1] = s end
    end
    return out
  end
  local ready, orders = {}, {}
  for k = #tokens, 1, -1 do ready[#ready + 1] = { token = tokens[k], placed = 0 } end
  local next_buyer = #tokens -- buyers not yet finished
  local function check_done()
    if cycle and #unsold < 2 then reset_seats() end
    if (#unsold < 2 and #orders == 0) or next_buyer == 0 then thread_done() end
  end
  check_done()
  return {
    ready = function() return #orders > 0 or (#ready > 0 and #unsold >= 2) end,
    next = function()
      local o = table.remove(orders, 1)
      if o then
        local h = auth(o.buyer.token)
        h["Idempotency-Key"] = idempotency_key()
        return send("create", "POST", "/api/order/create", h,
          '{"sessionId":' .. session .. ',"seatIds":[' .. table.concat(o.seats, ",") .. ']}', o)
      end
      if #unsold < 2 then return nil end
      local b = table.remove(ready)
      if not b then return nil end
      local want = pick(2 + math.random(0, 2))
      return send("hold", "POST", "/api/seat/lock", auth(b.token),
        '{"sessionId":' .. session .. ',"seatIds":[' .. table.concat(want, ",") .. ']}',
        { buyer = b, seats = want })
    end,
    reply = function(ok, code, _, m)
      if m.ordering then
        -- a create: its seats are sold, or held by this buyer for minutes
        for _, s in ipairs(m.seats) do remove(s) end
        if ok then
          count("orders")
          count("seatsOrdered", #m.seats)
          m.buyer.placed = m.buyer.placed + 1
          if m.buyer.placed < per_buyer or cycle then
            if cycle and m.buyer.placed >= per_buyer then m.buyer.placed = 0 end
            ready[#ready + 1] = m.buyer
          else
            next_buyer = next_buyer - 1
          end
        else
          count("stuck", #m.seats)
          next_buyer = next_buyer - 1
        end
      elseif ok then
        count("holds")
        m.ordering = true
        orders[#orders + 1] = m
      else
        if code == "SEAT_UNAVAILABLE" then count("holdConflicts") end
        ready[#ready + 1] = m.buyer
      end
      check_done()
    end,
    lost = function(m)
      if m.ordering then for _, s in ipairs(m.seats) do remove(s) end end
      ready[#ready + 1] = m.buyer
    end,
  }
end

flows.mixed = function()
  local tokens = mine(read_lines(env("TOKENS")))
  local show, session, ticket = env("SHOW_ID"), env("SESSION_ID"), env("TICKET_ID")
  local area = env("AREA_ID") or ""
  local seats = env("SEATS") and split(read_lines(env("SEATS"))[1] or "", ",") or {}
  local routes, sum = {}, 0
  for _, kv in ipairs(split(env("WEIGHTS"), ",")) do
    local name, w = string.match(kv, "^(%w+):(%d+)$")
    w = tonumber(w)
    if w > 0 then routes[#routes + 1] = { name, w }; sum = sum + w end
  end
  local buyers = {}
  for i, t in ipairs(tokens) do buyers[i] = { token = t, orders = 0 } end
  local b = 0
  local pending = {}
  local create_body = '{"showId":' .. show .. ',"sessionId":' .. session .. ',"ticketId":' ..
      ticket .. ',"quantity":1}'
  local layout_path = "/api/seat/layout/" .. area .. "?sessionId=" .. session
  local detail_path = "/api/show/detail/" .. show
  local function create()
    -- each buyer stays within the tier's limit of 10
    while #buyers > 0 and buyers[b % #buyers + 1].orders >= 10 do
      table.remove(buyers, b % #buyers + 1)
    end
    if #buyers == 0 then return nil end
    local buyer = buyers[b % #buyers + 1]
    b = b + 1
    buyer.orders = buyer.orders + 1
    local h = auth(buyer.token)
    h["Idempotency-Key"] = idempotency_key()
    return send("create", "POST", "/api/order/create", h, create_body, buyer)
  end
  return {
    next = function()
      local r = math.random() * sum
      local route = routes[#routes][1]
      for _, rw in ipairs(routes) do
        r = r - rw[2]
        if r < 0 then route = rw[1]; break end
      end
      if route == "pay" then
        local o = table.remove(pending, 1)
        if o then
          return send("pay", "POST", "/api/order/pay?orderNo=" .. o.orderNo .. "&payType=1",
            auth(o.token))
        end
        route = "create"
      end
      if route == "create" then
        local req = create()
        if req then return req end
        route = "list"
      end
      if route == "list" then return send("list", "GET", "/api/show/list?page=1&size=10") end
      if route == "detail" then return send("detail", "GET", detail_path) end
      if route == "layout" then return send("layout", "GET", layout_path) end
      -- hold
      local buyer = buyers[math.random(1, math.max(1, #buyers))] or { token = tokens[1] }
      local a, c = seats[math.random(1, #seats)], seats[math.random(1, #seats)]
      return send("hold", "POST", "/api/seat/lock", auth(buyer.token),
        '{"sessionId":' .. session .. ',"seatIds":[' .. a .. (a ~= c and ("," .. c) or "") .. ']}')
    end,
    reply = function(ok, _, body, buyer)
      if not ok or not buyer then return end
      local orderNo = string.match(body, '"data":"([^"]+)"')
      if orderNo then
        count("created")
        pending[#pending + 1] = { token = buyer.token, orderNo = orderNo }
      end
    end,
    on = function(route, ok) if route == "pay" and ok then count("paid") end end,
  }
end

-- ------------------------------------------------------------------ wrk callbacks

-- wrk calls request() once on thread 0 before the run, to see what a request looks like, and
-- never sends that one: it must not take a buyer.
local verifying = false

function init(args)
  math.randomseed(os.time() + thread_id * 7919)
  flow = flows[FLOW]()
  verifying = thread_id == 0
end

local PACED = FLOW ~= "create" or tonumber(env("PER_BUYER") or "0") > 0
local RATE = tonumber(env("RATE") or "0")

if PACED then
  -- Per thread: a schedule of request slots at RATE / THREADS per second (0: no pacing), and a
  -- short wait while the flow has nothing ready (every buyer of the thread has a request out).
  local interval = RATE > 0 and (1e6 * THREADS / RATE) or 0
  local next_at = 0
  function delay()
    local t = now_us()
    sweep(t)
    if finished or (flow.ready and not flow.ready()) then return 20 end
    if interval == 0 then return 0 end
    local slot = math.max(next_at, t)
    next_at = slot + interval
    return math.floor((slot - t) / 1000)
  end
end

function request()
  if verifying then
    verifying = false
    return idle()
  end
  if finished then return idle() end
  return flow.next() or idle()
end

function response(status, headers, body)
  local tid = headers["x-trace-id"] or headers["X-Trace-Id"]
  if tid == "idle" then return end
  local f = tid and inflight[tid]
  local t = now_us()
  if not f then
    stats.uncorrelated = stats.uncorrelated + 1
    return
  end
  inflight[tid] = nil
  stats.last = t
  local route, meta = f[1], f[3]
  -- A compressed reply (asked for with ACCEPT_ENCODING) is not read here: a 200 with a
  -- Content-Encoding counts as a success (the tests check what such a reply holds).
  local encoded = headers["content-encoding"] or headers["Content-Encoding"]
  local ok = status == 200 and (encoded ~= nil or string.sub(body, 1, 11) == '{"code":200')
  local code = nil
  if not ok and status >= 400 and status < 600 then
    code = string.match(string.sub(body, 1, 400), '"error":"([%w_]+)"')
  end
  record(route, t - f[2], ok, code)
  if flow.on then flow.on(route, ok) end
  if flow.reply and meta then flow.reply(ok, code, body, meta) end
end

-- ------------------------------------------------------------------ report (main state)

local function json(v)
  local t = type(v)
  if t == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = string.format("%q", tostring(k)) .. ":" .. json(x) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    return string.format("%.17g", v)
  elseif t == "string" then
    return string.format("%q", v)
  elseif t == "boolean" then
    return tostring(v)
  end
  return "null"
end

local function round(x, d)
  local f = 10 ^ (d or 2)
  return math.floor(x * f + 0.5) / f
end

function done(summary)
  local parts = {}
  for _, thread in ipairs(threads) do parts[#parts + 1] = thread:get("stats_json") end
  local e = summary.errors
  io.write("WRK_JSON " .. json({
    flow = FLOW,
    wrkDurationMs = round(summary.duration / 1000, 1),
    wrkRequests = summary.requests,
    socketErrors = { connect = e.connect, read = e.read, write = e.write, timeout = e.timeout },
  }):sub(1, -2) .. ',"threads":[' .. table.concat(parts, ",") .. "]}\n")
end

-- wrk copies nested tables between Lua states wrongly (thread:get of `stats` fails with
-- "invalid key to 'next'"): the thread hands over its tallies as one JSON string, made when
-- done() asks for the global `stats_json`.
setmetatable(_G, {
  __index = function(_, name)
    if name ~= "stats_json" then return nil end
    for _, r in pairs(stats.routes) do
      r.sum = round(r.sum / 1000, 3)
      r.max = round(r.max / 1000, 3)
    end
    return json(stats)
  end,
})
