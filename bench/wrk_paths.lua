-- wrk script for B5 and B9 (bench/http_load.py): GETs rotating through the
-- paths in $WRK_PATHS (one a line), each with the session cookie $WRK_COOKIE;
-- each thread starts at its own offset. done() prints one line
-- "WRKJSON {...}" with the figures (latency in ms).
--
-- $WRK_RATE (requests/s for each wrk thread; unset or 0: as fast as the
-- connections go) paces the load: each thread hands out send times one
-- period apart, and a connection whose reply came back waits for the next
-- free one (delay()), so the latency is measured at that rate rather than
-- at saturation, where it is mostly time queued behind the other
-- connections. A thread that falls behind does not burst to catch up: the
-- rate reached is in the figures.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } wrk_paths_timespec;
int clock_gettime(int clock, wrk_paths_timespec *ts);
]]
local ts = ffi.new("wrk_paths_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local rate = tonumber(os.getenv("WRK_RATE") or "0") or 0
local period = rate > 0 and 1000 / rate or 0
local next_slot = 0
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

function delay()
  if period == 0 then return 0 end
  local now = now_ms()
  if next_slot < now then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + period
  return math.floor(wait)
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
