-- Replay a file of prepared requests through wrk, each exactly once, then stop.
--
--   wrk -t T -c C -d 600s -s scripts/wrk/replay.lua URL -- REQUESTS_FILE T DONE_DIR
--
-- REQUESTS_FILE has one request per line, tab-separated: METHOD, PATH, BODY, then any number
-- of "Name: value" headers (e.g. a different bearer token on every line). Thread k of T takes
-- lines k, k+T, k+2T, ... so every line is sent by exactly one thread. When a thread has sent
-- its slice, delay() parks its connections (nothing is sent twice; wrk skips delay() before a
-- connection's first request, so the driver uses at most as many connections as lines); when
-- it has all its
-- answers it writes DONE_DIR/thread-k and stops, and the driver interrupts wrk once every
-- thread is done. done() prints one line "BENCH_JSON {...}" with wrk's summary, latency
-- percentiles and the count of each HTTP status.

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

local reqs = {}
local sent, received = 0, 0
local done_dir
-- wrk 4 calls request() once in thread 0's state before the run, only to inspect the request
-- (cfg.pipeline); that call must not use up a line.
local inspect_call
counts = {}

local function split_tabs(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  done_dir = args[3]
  inspect_call = (tid == 0)
  local i = 0
  for line in io.lines(file) do
    if line ~= "" then
      if i % nthreads == tid then
        local f = split_tabs(line)
        local headers = {}
        for k = 4, #f do
          local name, value = f[k]:match("^([^:]+):%s*(.*)$")
          headers[name] = value
        end
        local body = nil
        if f[3] ~= "" then body = f[3] end
        reqs[#reqs + 1] = wrk.format(f[1], f[2], headers, body)
      end
      i = i + 1
    end
  end
end

-- delay() runs before every request of a connection but its first, and the request itself
-- is built later (after a timer), so delay() claims a line for the request it lets through;
-- once every line is claimed it parks the connection until the run stops.
local claimed, preclaimed = 0, 0

function delay()
  if claimed >= #reqs then
    return 3600000
  end
  claimed = claimed + 1
  preclaimed = preclaimed + 1
  return 0
end

function request()
  if inspect_call then
    inspect_call = false
    return reqs[1] or wrk.format("GET", "/__bench_exhausted", {}, nil)
  end
  if preclaimed > 0 then
    preclaimed = preclaimed - 1
  else
    claimed = claimed + 1 -- a connection's first request: no delay() before it
  end
  sent = sent + 1
  if sent > #reqs then
    -- Not expected (only after a reconnect); the driver sees it as status 404.
    return wrk.format("GET", "/__bench_exhausted", {}, nil)
  end
  return reqs[sent]
end

function response(status, headers, body)
  received = received + 1
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
  if received == #reqs then
    local f = io.open(done_dir .. "/thread-" .. tid, "w")
    f:write(tostring(received))
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local statuses = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do
      statuses[k] = (statuses[k] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(statuses) do
    parts[#parts + 1] = string.format('"%s":%d', k, v)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"statuses":{%s}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean,
    table.concat(parts, ",")))
end
