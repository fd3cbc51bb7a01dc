-- Loaded by every wrk run of the bench: prints the summary as one JSON line at the end.
-- Optional environment: BENCH_METHOD/BENCH_BODY/BENCH_CONTENT_TYPE/BENCH_COOKIE/
-- BENCH_HEADER_NAME+VALUE (a fixed request), BENCH_SIGNUP=<csrf token> (unique sign-ups).
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local cookie = os.getenv("BENCH_COOKIE")
local header_name = os.getenv("BENCH_HEADER_NAME")
local header_value = os.getenv("BENCH_HEADER_VALUE")
local signup_token = os.getenv("BENCH_SIGNUP")
local run_id = os.getenv("BENCH_RUN_ID") or "0"

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

local counter = 0
local headers = {}
local fixed_request

-- wrk sets its default headers (Host above all: nginx refuses HTTP/1.1 without it) only
-- when a thread starts, so the request is built then, from a copy of them.
function init(args)
  for name, value in pairs(wrk.headers) do headers[name] = value end
  if cookie then headers["Cookie"] = cookie end
  if header_name then headers[header_name] = header_value end
  if body or signup_token then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  fixed_request = wrk.format(method, nil, headers, body)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

if signup_token then
  local fixed = "csrf_token=" .. urlencode(signup_token)
    .. "&first_name=Bench&last_name=Signer&postcode=SW1A+1AA&labour_member=no"
  request = function()
    counter = counter + 1
    local email = "run" .. run_id .. "-t" .. tostring(tid) .. "-" .. counter .. "@example.org"
    return wrk.format("POST", nil, headers, fixed .. "&email=" .. urlencode(email))
  end
else
  request = function() return fixed_request end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
