-- A plain GET of the URL's path in a loop, with no Lua per request: wrk's own C path, the
-- fastest this generator goes (health, layout). Only the report at the end, as one JSON line:
-- requests, replies that were not 2xx/3xx, socket errors, latency percentiles (µs).
function done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'WRK_PLAIN {"requests":%d,"durationUs":%d,"non2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
