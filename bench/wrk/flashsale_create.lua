-- wrk script of bench/flashsale_batch.ts: POST /api/order/create of one ticket, each request as
-- the next buyer in turn (tokens, one a line, in the file named by env BENCH_TOKENS), with a
-- fresh Idempotency-Key. Thread t of n starts at buyer t and steps by n, so threads share no
-- buyer at the same moment. Prints one JSON line of status counts and latency percentiles (ms).
local tokens = {}
local threads = {}
local body = os.getenv("BENCH_BODY")

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if #line > 0 then table.insert(tokens, line) end
  end
  n = 0
  step = tonumber(os.getenv("BENCH_THREADS") or "2")
  next_buyer = id
  -- Unique per wrk run: keys of an earlier run (the warm-up) must not make duplicates.
  run = os.getenv("BENCH_RUN")
  statuses = {}
end

function request()
  n = n + 1
  local token = tokens[(next_buyer % #tokens) + 1]
  next_buyer = next_buyer + step
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("wrk-%s-%d-%d", run, id, n),
  }
  return wrk.format("POST", "/api/order/create", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%d":%d', k, v)) end
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"errors":%d,"statuses":{%s},"latencyMs":{"p50":%.2f,"p90":%.2f,"p99":%.2f,"max":%.2f,"mean":%.2f}}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ","),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end
