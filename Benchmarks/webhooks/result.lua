-- Shared by post.lua and unique.lua (wrk runs from the repository's root): pacing and the RESULT line.
-- RATE_DELAY_MS (optional) paces each connection.
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
