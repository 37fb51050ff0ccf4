-- wrk: POST the same signed, Meta-shaped batch (3 statuses) on every request.
-- BODY_FILE and SIGNATURE come from the environment; RATE_DELAY_MS (optional) paces each connection.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = os.getenv("SIGNATURE")
local pace = tonumber(os.getenv("RATE_DELAY_MS") or "0")

function delay()
  return pace
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, non2xx))
end
