-- wrk script: POST the feed query (or $QUERY) with the access tokens of $TOKENS in turn,
-- and count every response that is not a 200 holding $EXPECT and no "errors". With $RESULTS
-- set, `done` appends one line to that file: label, clients, requests/s, p50 (ms), requests,
-- failed checks, socket errors (bench/run.sh's summary).
local tokens = {}
for line in io.lines(os.getenv("TOKENS") or "bench/.tokens") do
  tokens[#tokens + 1] = line
end
local query = os.getenv("QUERY") or
  "{ briefings(first: 20) { edges { cursor node { id title summary source pinned isRead readAt publishedAt attachmentCount author { name } } } pageInfo { hasNextPage endCursor } } }"
local expect = os.getenv("EXPECT") or '"cursor"'

wrk.method = "POST"
wrk.body = '{"query":"' .. query .. '"}'
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  errors = 0
  sent = 0
end

function request()
  sent = sent + 1
  local token = tokens[((sent * 7 + id * 13) % #tokens) + 1]
  -- Headers given to wrk.format replace wrk.headers, so the content type goes here too.
  return wrk.format(nil, nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) or not string.find(body, expect, 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do
    failed = failed + t:get("errors")
  end
  io.write(string.format("requests %d, %.0f/s, failed checks %d, socket errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
  io.write(string.format("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  local results = os.getenv("RESULTS")
  if results then
    local sockets = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
      summary.errors.timeout
    local f = assert(io.open(results, "a"))
    f:write(string.format("%s\t%d\t%.1f\t%.3f\t%d\t%d\t%d\n", os.getenv("LABEL") or "", tonumber(os.getenv("CLIENTS") or "0"),
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, summary.requests, failed, sockets))
    f:close()
  end
end
