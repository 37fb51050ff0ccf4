-- wrk: POST the same signed, Meta-shaped batch (3 statuses) on every request.
-- BODY_FILE and SIGNATURE come from the environment; RATE_DELAY_MS (optional) paces each connection.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = os.getenv("SIGNATURE")
dofile("Benchmarks/webhooks/result.lua")
