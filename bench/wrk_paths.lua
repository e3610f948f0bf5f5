-- wrk script for B5 and B9 (bench/http_load.py): GETs rotating through the
-- paths in $WRK_PATHS (one a line), each with the session cookie $WRK_COOKIE;
-- each thread starts at its own offset. done() prints one line
-- "WRKJSON {...}" with the figures (latency in ms).
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local cookie = os.getenv("WRK_COOKIE")
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("offset", nthreads * 7919)
end

local i = 0
local headers = { ["Cookie"] = cookie }

function init(args)
  i = (offset or 0) % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,"errors":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.status, e.timeout))
end
